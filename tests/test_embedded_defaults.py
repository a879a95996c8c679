"""`make run` with no settings: SQLite in a file, the in-process Redis stand-in, mail in the log.

The suite proves the product on PostgreSQL and Redis; this checks briefly that the embedded
defaults run the same flows, and that start-up says which defaults are in use.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.resilience.processes import ROOT, AppServer


def _embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKEND_")}
    env.update(
        {
            "BACKEND_ENVIRONMENT": "dev",
            "BACKEND_SQLITE_PATH": str(tmp_path / "teamsapp.db"),
            "BACKEND_BCRYPT_ROUNDS": "4",
            "PROMETHEUS_MULTIPROC_DIR": "",
        }
    )
    return env


def test_embedded_defaults_run_the_account_and_team_flows(tmp_path: Path) -> None:
    env = _embedded_env(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True, timeout=120
    )
    # `env` alone, not the suite's settings: no BACKEND_DB_URL, BACKEND_REDIS_URL or BACKEND_MAIL_*.
    server = AppServer(env=env, log_path=tmp_path / "server.log", inherit=False)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            health = http.get("/api/v1/monitoring/health").json()
            assert (health["database"], health["redis"]) == ("ok", "ok")
            signup = {
                "email": "ada@example.com",
                "username": "ada",
                "full_name": "Ada Lovelace",
                "password": "analytical engine",
            }
            assert http.post("/api/v1/user", json=signup).status_code == 201
            link = _wait_for_link(server, "/verify?token=")
            assert (
                http.post(
                    "/api/v1/user/verify", json={"token": link, "password": "analytical engine"}
                ).status_code
                == 200
            )
            tokens = http.post("/api/v1/user/auth", json={"login": "ada", "password": "analytical engine"})
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            team = http.post("/api/v1/team", json={"name": "Engines"}, headers=headers)
            assert team.status_code == 201, team.text
            assert http.get("/api/v1/teams", headers=headers).json()[0]["role"] == "owner"
    finally:
        server.stop()
    log = server.log()
    assert "embedded default: SQLite file" in log
    assert "embedded default: in-process Redis stand-in" in log
    assert "embedded default: mail goes to the log" in log


def _wait_for_link(server: AppServer, path: str) -> str:
    pattern = re.compile(re.escape(path) + r"([A-Za-z0-9_\-]+)")
    for _ in range(100):
        found = pattern.search(server.log())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no {path} link in the log:\n{server.log()}")
