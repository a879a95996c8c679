"""`python -m teamsapp create-superuser`."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fixtures.users import reload_user

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "teamsapp", "create-superuser", *args, "--password-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )


async def test_create_superuser_makes_a_verified_superuser(client: httpx.AsyncClient) -> None:
    suffix = secrets.token_hex(4)
    result = _run(
        "--email", f"Root-{suffix}@example.com", "--username", f"root_{suffix}", password="root password 1"
    )
    assert result.returncode == 0, result.stderr
    assert f"root_{suffix}" in result.stdout
    response = await client.post(
        "/api/v1/user/auth", json={"login": f"root-{suffix}@example.com", "password": "root password 1"}
    )
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    me = (await client.get("/api/v1/user/me", headers=headers)).json()
    stored = await reload_user(me["id"])
    assert stored.is_superuser and stored.is_verified
    assert (
        await client.put("/api/v1/redis", headers=headers, json={"key": "k", "value": "v"})
    ).status_code == 200


async def test_create_superuser_refuses_a_taken_email_or_username(client: httpx.AsyncClient) -> None:
    suffix = secrets.token_hex(4)
    email, username = f"admin-{suffix}@example.com", f"admin_{suffix}"
    assert _run("--email", email, "--username", username, password="root password 1").returncode == 0
    for args in [
        ("--email", email, "--username", f"other_{suffix}"),
        ("--email", f"o-{suffix}@example.com", "--username", username),
    ]:
        result = _run(*args, password="root password 1")
        assert result.returncode == 1
        assert "cannot create the superuser" in result.stderr
        assert "Traceback" not in result.stderr
    assert "taken" in result.stderr


async def test_create_superuser_explains_a_bad_password(client: httpx.AsyncClient) -> None:
    suffix = secrets.token_hex(4)
    result = _run("--email", f"a-{suffix}@example.com", "--username", f"a_{suffix}", password="x" * 80)
    assert result.returncode == 1
    assert "password" in result.stderr
    assert "Traceback" not in result.stderr
