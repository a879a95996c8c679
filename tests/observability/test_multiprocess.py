"""Several workers: counts add up across them, dead workers leave no live gauges, restarts start clean."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.mmap_dict import MmapedDict

from teamsapp.observability.multiprocess import remove_abandoned_dirs
from tests import services
from tests.observability.conftest import WORKERS
from tests.observability.metrics_text import value
from tests.observability.processes import ROOT, ApiServer
from tests.services import wait_for

REQUESTS = 300


async def _post_echo_many(url: str, count: int) -> None:
    # A fresh connection per request, many at once, so that both workers accept some.
    limits = httpx.Limits(max_keepalive_connections=0, max_connections=32)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        statuses = await asyncio.gather(
            *(http.post("/api/v1/echo", json={"message": str(i)}) for i in range(count))
        )
    assert {response.status_code for response in statuses} == {200}


def _echo_count_by_worker(metrics_dir: Path) -> dict[str, float]:
    counts: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        entries = MmapedDict.read_all_values_from_file(str(path))  # type: ignore[no-untyped-call]
        for key, count, _timestamp, _position in entries:
            _name, sample, labels, _help = json.loads(key)
            if sample == "teamsapp_http_requests_total" and labels.get("route") == "/api/v1/echo":
                pid = path.stem.rpartition("_")[2]
                counts[pid] = counts.get(pid, 0) + count
    return counts


async def test_requests_spread_over_two_workers_are_counted_exactly_once(
    api_server: ApiServer, metrics_dir: Path
) -> None:
    def echo_counts() -> tuple[float, float]:
        text = httpx.get(f"{api_server.url}/metrics", headers=services.metrics_headers()).text
        return (
            value(text, "teamsapp_http_requests_total", route="/api/v1/echo", method="POST", status="200"),
            value(text, "teamsapp_http_request_duration_seconds_count", route="/api/v1/echo", method="POST"),
        )

    counted, timed = echo_counts()
    await _post_echo_many(api_server.url, REQUESTS)
    # A request is counted just after its answer went out: wait for the last ones, then never more.
    expected = (counted + REQUESTS, timed + REQUESTS)
    wait_for(lambda: echo_counts() >= expected, timeout=10, what=f"{REQUESTS} requests counted")
    assert echo_counts() == expected
    by_worker = _echo_count_by_worker(metrics_dir)
    assert len([count for count in by_worker.values() if count > 0]) == WORKERS, by_worker
    text = httpx.get(f"{api_server.url}/metrics", headers=services.metrics_headers()).text
    assert value(text, "teamsapp_workers") == WORKERS
    # Only scrapes are in flight now: in-progress gauges of finished requests went back down.
    assert 1 <= value(text, "teamsapp_http_requests_in_progress") <= 3


def _worker_pids(server: ApiServer) -> set[int]:
    assert server.process is not None
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(server.process.pid)], capture_output=True, text=True, check=False
    )
    return {int(pid) for pid in out.stdout.split()}


def test_a_killed_worker_leaves_no_live_gauges_behind(observability_tmp: Path, server_database: str) -> None:
    metrics_dir = observability_tmp / "metrics-kill"
    metrics_dir.mkdir()
    server = ApiServer(
        env={"BACKEND_DB_URL": server_database, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        workers=2,
        log_path=observability_tmp / "kill.log",
        options=("--respawn-failed-workers",),
    )
    server.start()
    try:
        wait_for(lambda: len(_worker_pids(server)) == 2, timeout=30, what="two workers")
        victim = sorted(_worker_pids(server))[0]
        wait_for(
            (metrics_dir / f"gauge_livesum_{victim}.db").exists,
            timeout=30,
            what="the worker's gauges",
        )
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: victim not in _worker_pids(server), timeout=30, what="the worker's exit")

        def workers_counted() -> bool:
            text = httpx.get(f"{server.url}/metrics", headers=services.metrics_headers(), timeout=5).text
            return value(text, "teamsapp_workers") == len(_worker_pids(server))

        wait_for(workers_counted, timeout=30, what="teamsapp_workers equal to the live workers")
        assert not (metrics_dir / f"gauge_livesum_{victim}.db").exists()
    finally:
        server.stop()


def _prepare(argv: list[str], env: dict[str, str]) -> dict[str, object]:
    code = (
        "import json, os, sys\n"
        "from teamsapp.observability.multiprocess import prepare_multiprocess_dir\n"
        f"path = prepare_multiprocess_dir(8123, {argv!r})\n"
        "print(json.dumps({'path': str(path) if path else None, "
        "'dir': os.environ.get('PROMETHEUS_MULTIPROC_DIR'), 'loaded': 'prometheus_client' in sys.modules}))\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PROMETHEUS_MULTIPROC_DIR", "TEAMSAPP_METRICS_DIR_OWNER")
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_reflex_run_starts_with_an_empty_metrics_dir(observability_tmp: Path) -> None:
    stale_dir = observability_tmp / "metrics-restart"
    stale_dir.mkdir()
    (stale_dir / "counter_4242.db").write_bytes(b"stale")
    reflex_run = [str(ROOT / ".venv" / "bin" / "reflex"), "run", "--env", "prod"]

    as_worker = _prepare(
        reflex_run, {"PROMETHEUS_MULTIPROC_DIR": str(stale_dir), "TEAMSAPP_METRICS_DIR_OWNER": "1"}
    )
    assert as_worker["path"] is None
    assert (stale_dir / "counter_4242.db").exists()

    as_other_program = _prepare(["pytest"], {"PROMETHEUS_MULTIPROC_DIR": str(stale_dir)})
    assert as_other_program["path"] is None
    assert (stale_dir / "counter_4242.db").exists()

    as_supervisor = _prepare(reflex_run, {"PROMETHEUS_MULTIPROC_DIR": str(stale_dir)})
    assert as_supervisor["path"] == str(stale_dir)
    assert not list(stale_dir.glob("*.db"))
    assert as_supervisor["loaded"] is False


def test_reflex_run_without_a_dir_gets_one_per_port() -> None:
    prepared = _prepare(["/usr/bin/reflex", "run"], {})
    expected = ROOT / ".teamsapp" / "prometheus" / "8123"
    assert prepared["path"] == str(expected)
    assert prepared["dir"] == prepared["path"]
    expected.rmdir()


def test_directories_of_servers_that_are_gone_are_removed(tmp_path: Path) -> None:
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    gone, running, starting, old_empty, own = (
        tmp_path / name for name in ("1111", "2222", "3333", "4444", "5555")
    )
    for path in (gone, running, starting, old_empty, own):
        path.mkdir()
    (gone / f"counter_{dead_pid.pid}.db").write_bytes(b"")
    (running / f"counter_{os.getpid()}.db").write_bytes(b"")
    (own / f"counter_{dead_pid.pid}.db").write_bytes(b"")
    os.utime(old_empty, (time.time() - 7200, time.time() - 7200))

    remove_abandoned_dirs(tmp_path, keep=own)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["2222", "3333", "5555"]
