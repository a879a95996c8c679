"""`make bench QUICK=1` runs end to end and writes a well-formed result (no timing is asserted)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_SECONDS = 900
HTTP_KEYS = {
    "ceiling",
    "user_me",
    "user_me_token",
    "teams",
    "team",
    "create_team",
    "create_invitation",
    "login",
    "user_me_under_login",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run_quick(out: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bench", "--quick", "--out", str(out)]
    with subprocess.Popen(
        command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            output, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            # SIGTERM first: the bench then stops the app it started and drops its database.
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            pytest.fail(f"the quick bench ran over {RUN_TIMEOUT_SECONDS}s:\n{output[-3000:]}")
    return subprocess.CompletedProcess(command, process.returncode, output)


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("bench")
    finished = _run_quick(out)
    assert finished.returncode == 0, finished.stdout[-3000:]
    [json_path] = out.glob("*-quick.json")
    return json.loads(json_path.read_text()), out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 120)
def test_quick_result_is_complete(quick_result: tuple[dict[str, Any], Path]) -> None:
    result, _ = quick_result
    assert result["quick"] is True
    assert result["plan"]["connections"] == 32
    assert result["plan"]["repeats"] == 3
    assert _is_number(result["bcrypt_floor"]["hashes_per_s"])
    assert {entry["key"] for entry in result["http"]} == HTTP_KEYS
    for entry in result["http"]:
        if "skipped" in entry:
            assert entry["skipped"] in " ".join(result["skipped"]), "a skip must be listed with its reason"
            continue
        assert len(entry["repeats"]) == 3
        for name in ("req_per_s", "p50_ms", "p99_ms"):
            assert _is_number(entry["median"][name]), (entry["key"], name)
        assert _is_number(entry["errors"])
        assert isinstance(entry["target_met"], bool) or entry["key"] == "ceiling"
    roles = {process["role"] for process in result["processes"]}
    assert "worker" in roles
    assert all(_is_number(process["peak_rss_mb"]) for process in result["processes"])
    ui = result["ui"]
    assert "skipped" in ui["first_load"] or _is_number(ui["first_load"]["interactive_ms"])
    for name in ("one_client", "sessions", "sessions_flat_out"):
        assert _is_number(ui[name]["events"])
    assert ui["sessions"]["sessions"] == 100


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 120)
def test_quick_markdown_and_chart(quick_result: tuple[dict[str, Any], Path]) -> None:
    result, out = quick_result
    markdown = (out / result["files"]["md"]).read_text()
    assert markdown.startswith("# Benchmark ")
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    header = (
        "| figure | server | conns | req/s | p50 ms | p99 ms | errors | vs ceiling | x calibration "
        "| vs reference (calibrated) | vs reference (raw) | target | met |"
    )
    assert header in table
    for entry in result["http"]:
        row = f"| {entry['title']} | {entry['server']} |"
        assert any(line.startswith(row) for line in table), row
    # Every REST figure under both servers; the calibrated ones paired with the calibration server.
    assert {entry["server"] for entry in result["http"]} == {"granian", "uvicorn"}
    for entry in result["http"]:
        if (
            entry["key"] in {"user_me", "teams", "team", "create_team", "create_invitation"}
            and "median" in entry
        ):
            assert len(entry["calibration_req_per_s"]) == 3, entry["key"]
            assert _is_number(entry["vs_reference_calibrated"]), entry["key"]
    for line in table:
        assert line.endswith("|") and line.count("|") >= 5, line
    for reason in result["skipped"]:
        assert f"- {reason}" in markdown
    assert (out / result["files"]["png"]).read_bytes().startswith(PNG_MAGIC)
