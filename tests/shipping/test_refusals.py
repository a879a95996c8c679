"""A start-up refusal is one line on stderr naming the setting and a non-zero exit, under
`uvicorn teamsapp.api:api` and under `reflex run` alike, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import services
from tests.resilience.processes import ROOT, VENV_BIN, ReflexInstance

WEAK_SECRET = {"BACKEND_ENVIRONMENT": "prod", "BACKEND_SECRET_KEY": "changeme"}
REFUSALS = [
    pytest.param({"BACKEND_PORT": "eighty"}, "BACKEND_PORT", id="malformed-setting"),
    pytest.param(WEAK_SECRET, "BACKEND_SECRET_KEY", id="weak-secret-outside-dev"),
    pytest.param({"BACKEND_DB_URL": "unreachable"}, "BACKEND_DB_URL", id="unreachable-database"),
]


def _env(settings: dict[str, str], tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKEND_")}
    env.update({"BACKEND_SQLITE_PATH": str(tmp_path / "teamsapp.db"), "PROMETHEUS_MULTIPROC_DIR": ""})
    env.update(settings)
    if env.get("BACKEND_DB_URL") == "unreachable":
        env["BACKEND_DB_URL"] = f"postgresql://nobody@127.0.0.1:{services.free_port()}/none"
    return env


def _assert_one_line(
    result: subprocess.CompletedProcess[str], setting: str, *, server_lines: str | None = None
) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    # The server's own progress lines (uvicorn's "INFO:     Started server process") aside.
    ours = [
        line
        for line in result.stderr.splitlines()
        if line and not (server_lines and line.startswith(server_lines))
    ]
    assert len(ours) == 1, result.stderr
    assert ours[0].startswith("teamsapp: configuration error: ") and setting in ours[0]


@pytest.mark.parametrize(("settings", "setting"), REFUSALS)
def test_uvicorn_refuses_to_start_in_one_line(settings: dict[str, str], setting: str, tmp_path: Path) -> None:
    port = str(services.free_port())
    result = subprocess.run(
        [str(VENV_BIN / "uvicorn"), "teamsapp.api:api", "--host", "127.0.0.1", "--port", port],
        cwd=ROOT,
        env=_env(settings, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    _assert_one_line(result, setting, server_lines="INFO:")


@pytest.mark.parametrize(("settings", "setting"), REFUSALS[:2])
def test_reflex_run_refuses_a_bad_setting_in_one_line(
    settings: dict[str, str], setting: str, tmp_path: Path
) -> None:
    # rxconfig.py reads the settings: `reflex run` stops before it builds anything.
    result = subprocess.run(
        [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--single-port"],
        cwd=ROOT,
        env=_env(settings, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    _assert_one_line(result, setting)


@pytest.mark.timeout(1200)
def test_reflex_run_refuses_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    # The database is checked by each worker once the app is built: a copy of the app builds it.
    instance = ReflexInstance(
        base=tmp_path, name="refusal", env=_env({"BACKEND_DB_URL": "unreachable"}, tmp_path), inherit=False
    )
    instance.copy_app()
    result = subprocess.run(
        instance.command,
        cwd=instance.dir,
        env={**instance.env, "GRANIAN_WORKERS": "2"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    _assert_one_line(result, "BACKEND_DB_URL")
    assert "is being redefined" not in result.stdout
