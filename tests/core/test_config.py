"""Settings: the secret-key rule, the database URL, and one clear line for a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from teamsapp.core.config import Settings, SettingsError, get_settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = "x" * 48


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("environment", ["prod", "test"])
def test_outside_dev_a_missing_secret_stops_start_up(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BACKEND_SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="BACKEND_SECRET_KEY is required"):
        _settings(environment=environment)


@pytest.mark.parametrize("secret", ["short", "changeme", "a" * 31])
def test_outside_dev_a_weak_secret_stops_start_up(secret: str) -> None:
    with pytest.raises(ValueError, match="BACKEND_SECRET_KEY is too weak"):
        _settings(environment="prod", secret_key=secret)


def test_dev_needs_no_secret_and_keeps_one_for_every_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKEND_SECRET_KEY", raising=False)
    settings = _settings(environment="dev")
    assert len(settings.signing_key) >= 32
    assert _settings(environment="dev").signing_key == settings.signing_key


def test_database_url_from_parts_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKEND_DB_URL", raising=False)
    parts = _settings(
        environment="prod", secret_key=STRONG, db_host="db", db_user="u", db_pass="p", db_base="b"
    )
    assert parts.database_url == "postgresql://u:p@db:5432/b"
    override = _settings(environment="prod", secret_key=STRONG, db_host="db", db_url="postgresql://x@y/z")
    assert override.database_url == "postgresql://x@y/z"
    assert _settings(environment="dev", sqlite_path="a.db").database_url.startswith("sqlite+aiosqlite:///")


def test_mail_backend_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKEND_MAIL_SERVER", raising=False)
    assert _settings(environment="dev").mail_backend == "log"
    assert _settings(environment="dev", mail_server="localhost").mail_backend == "smtp"
    assert _settings(environment="dev", mail_server="x", sendgrid_api_key="k").mail_backend == "sendgrid"


def test_a_malformed_value_is_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_PORT", "eighty")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as raised:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert "BACKEND_PORT" in str(raised.value.code)


def test_the_cli_prints_one_line_for_a_malformed_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BACKEND_PORT=eighty\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKEND_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", "import teamsapp.core.config as c; c.get_settings()"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BACKEND_PORT" in lines[0]
    assert "Traceback" not in result.stderr
