"""`make test` checks its tools first (installing them as root), and the image keeps local files out."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.resilience.processes import ROOT
from tests.shipping.fresh import INSTALL

CHECK_TOOLS = ROOT / "scripts" / "check-tools"
TOOLS = {
    "Chromium": "chromium",
    "wrk": "wrk",
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "nginx": "nginx-light",
    "docker-compose": "docker-compose",
    "redis-server": "redis-server",
    "PostgreSQL server": "postgresql",
    "npm": "npm",
}


def _check_tools(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(CHECK_TOOLS)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_without_the_tools_and_without_root_it_names_each_one_and_how_to_install_it(tmp_path: Path) -> None:
    nowhere = tmp_path / "empty-bin"
    nowhere.mkdir()
    result = _check_tools(
        tmp_path,
        TEAMSAPP_NO_INSTALL="1",  # as a user who is not root: nothing is installed
        TEAMSAPP_TOOLS_PATH=str(nowhere),
        CHROMIUM_PATH=str(nowhere / "chromium"),
        TEST_PG_BIN=str(nowhere),
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(TOOLS), result.stderr
    for line, (tool, package) in zip(lines, TOOLS.items(), strict=True):
        assert line.startswith(f"missing: {tool}") and line.endswith(f"`sudo apt-get install {package}`"), (
            line
        )


def test_with_the_tools_present_it_passes_quietly(tmp_path: Path) -> None:
    result = _check_tools(tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_make_test_checks_the_tools_first_and_ci_keeps_only_the_services() -> None:
    makefile = (ROOT / "Makefile").read_text()
    test_rule = re.search(r"^test: (.*?)  ##", makefile, re.MULTILINE)
    assert test_rule is not None and test_rule.group(1).split()[0] == "tools"
    assert re.search(r"^tools:.*\n\t@?scripts/check-tools$", makefile, re.MULTILINE)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make tools" in ci and "apt-get" not in ci


def _dockerignored(path: str, patterns: list[str]) -> bool:
    # Docker's rule: a pattern matches a path or a parent directory of it; `**/` matches any depth.
    parts = path.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    for written in patterns:
        pattern = written.rstrip("/")
        tails = [pattern[3:]] if pattern.startswith("**/") else []
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern):
                return True
            names = prefix.split("/")
            if any(
                fnmatch.fnmatchcase("/".join(names[start:]), tail)
                for tail in tails
                for start in range(len(names))
            ):
                return True
    return False


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".teamsapp/secret_key",
        "teamsapp.db",
        "data/teamsapp.db",
        ".git/HEAD",
        ".venv/bin/python",
        ".web/build/client/index.html",
        ".tools/bun/node_modules/.bin/bun",
        "node_modules/react/index.js",
        "assets/node_modules/x.js",
        "test-artifacts/server.log",
        "bench/results/2026-11-26.json",
        "soak/results/soak.json",
        "teamsapp/__pycache__/api.cpython-311.pyc",
    ],
)
def test_the_image_leaves_out_secrets_local_data_and_build_output(path: str) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert _dockerignored(path, patterns)
    for kept in (
        "teamsapp/teamsapp.py",
        "requirements.txt",
        "alembic/env.py",
        "rxconfig.py",
        "assets/teamsapp.css",
    ):
        assert not _dockerignored(kept, patterns), kept


def test_the_image_installs_requirements_as_the_fresh_venv_test_does() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"RUN python -m venv /venv && /venv/bin/python {' '.join(INSTALL)}\n" in dockerfile
    assert "COPY requirements.txt ." in dockerfile
