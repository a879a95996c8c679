"""The whole account flow, run against a real server logging at DEBUG: no password, token or secret
appears anywhere in what it wrote.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
from alembic import command

from tests import services
from tests.conftest import alembic_config
from tests.fixtures.mail import Mailbox
from tests.observability.processes import ApiServer
from tests.services import PrivateRedis, wait_for

USER = "/api/v1/user"


@pytest.fixture
def debug_server(observability_tmp: Path) -> Iterator[ApiServer]:
    """The API logging everything at DEBUG, on a database and a Redis of its own (fresh rate limits),
    sending mail to the test SMTP server."""
    url = services.create_database("teamsapp_logs")
    command.upgrade(alembic_config(url), "head")
    redis_server = PrivateRedis(observability_tmp)
    server = ApiServer(
        env={"BACKEND_DB_URL": url, "BACKEND_REDIS_URL": redis_server.url, "BACKEND_LOG_LEVEL": "DEBUG"},
        workers=1,
        log_path=observability_tmp / "account-flow.log",
    )
    try:
        redis_server.start()
        server.start()
        yield server
    finally:
        server.stop()
        redis_server.stop()
        services.drop_database(url)


@pytest.fixture
async def http(debug_server: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the debug server."""
    async with httpx.AsyncClient(base_url=debug_server.url, timeout=30) as client:
        yield client


async def _mailed_token(mailbox: Mailbox, to: str, subject: str) -> str:
    return mailbox.link_token(await mailbox.wait_for(to=to, subject_contains=subject, timeout=30))


def _bearer(pair: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def test_the_account_flow_logs_no_password_token_or_secret(
    http: httpx.AsyncClient, debug_server: ApiServer, mailbox: Mailbox
) -> None:
    suffix = secrets.token_hex(4)
    email, new_email = f"logs-{suffix}@example.com", f"logs-new-{suffix}@example.com"
    passwords = [
        f"first pass {suffix}",
        f"second pass {suffix}",
        f"third pass {suffix}",
        f"wrong pass {suffix}",
    ]
    leaks: list[str] = [*passwords, os.environ["BACKEND_SECRET_KEY"]]

    signup = {
        "email": email,
        "username": f"logs_{suffix}",
        "full_name": "Log Watcher",
        "password": passwords[0],
    }
    assert (await http.post(USER, json=signup)).status_code in (200, 201)
    assert (await http.post(USER, json={**signup, "password": "x" * 300})).status_code == 422
    verify = await _mailed_token(mailbox, email, "Confirm your email")
    leaks.append(verify)
    assert (
        await http.post(f"{USER}/verify", json={"token": verify, "password": passwords[0]})
    ).status_code == 200

    wrong = await http.post(f"{USER}/auth", json={"login": email, "password": passwords[3]})
    assert wrong.status_code == 401
    pair = (await http.post(f"{USER}/auth", json={"login": email, "password": passwords[0]})).json()
    leaks += [pair["access_token"], pair["refresh_token"]]
    assert (await http.get(f"{USER}/me", headers=_bearer(pair))).status_code == 200
    assert (
        await http.get(f"{USER}/me", headers={"Authorization": "Bearer forged.jwt.value"})
    ).status_code == 401
    pair = (await http.post(f"{USER}/auth/refresh", json={"refresh_token": pair["refresh_token"]})).json()
    leaks += [pair["access_token"], pair["refresh_token"]]

    change = {"current_password": passwords[0], "new_password": passwords[1]}
    assert (await http.patch(f"{USER}/settings", json=change, headers=_bearer(pair))).status_code == 200
    # The password change keeps this session, whose refresh gives a token issued after it.
    pair = (await http.post(f"{USER}/auth/refresh", json={"refresh_token": pair["refresh_token"]})).json()
    leaks += [pair["access_token"], pair["refresh_token"]]
    move = {"current_password": passwords[1], "email": new_email}
    assert (await http.patch(f"{USER}/settings", json=move, headers=_bearer(pair))).status_code == 200
    confirm = await _mailed_token(mailbox, new_email, "new email")
    leaks.append(confirm)
    assert (await http.post(f"{USER}/settings/email/confirm", json={"token": confirm})).status_code == 200

    assert (await http.post(f"{USER}/password/reset/send", json={"email": new_email})).status_code == 202
    reset = await _mailed_token(mailbox, new_email, "Reset your")
    leaks.append(reset)
    body = {"token": reset, "password": passwords[2]}
    assert (await http.post(f"{USER}/password/reset", json=body)).status_code == 204
    pair = (await http.post(f"{USER}/auth", json={"login": new_email, "password": passwords[2]})).json()
    leaks += [pair["access_token"], pair["refresh_token"]]
    created = await http.post(
        f"{USER}/tokens", json={"name": "logs", "scopes": ["user:read"]}, headers=_bearer(pair)
    )
    api_token = created.json()["token"]
    leaks.append(api_token)
    assert (await http.get(f"{USER}/me", headers={"Authorization": f"Bearer {api_token}"})).status_code == 200
    assert (
        await http.get(f"{USER}/me", headers={"Authorization": "Bearer tap_madeup0123456789"})
    ).status_code == 401
    assert (await http.post(f"{USER}/logout", headers=_bearer(pair))).status_code == 204

    wait_for(lambda: f'"{USER}/logout"' in debug_server.log(), timeout=10, what="the last access line")
    log = debug_server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert len(lines) > 20, log[-2000:]
    assert any(line["logger"] == "teamsapp.access" and line["route"] == f"{USER}/auth" for line in lines)
    found = [leak for leak in leaks if leak in log]
    assert not found, f"{len(found)} secret(s) in the server log"


async def test_two_factor_authentication_logs_no_secret_or_code(
    http: httpx.AsyncClient, debug_server: ApiServer, mailbox: Mailbox
) -> None:
    suffix = secrets.token_hex(4)
    password = f"two factor pass {suffix}"
    email = f"logs-2fa-{suffix}@example.com"
    signup = {
        "email": email,
        "username": f"logs2fa_{suffix}",
        "full_name": "Second Factor",
        "password": password,
    }
    assert (await http.post(USER, json=signup)).status_code == 201
    pair = (await http.post(f"{USER}/auth", json={"login": signup["username"], "password": password})).json()
    setup = (
        await http.post(f"{USER}/2fa/setup", json={"current_password": password}, headers=_bearer(pair))
    ).json()
    totp = pyotp.TOTP(setup["secret"])
    enabled = await http.post(f"{USER}/2fa/enable", json={"code": totp.now()}, headers=_bearer(pair))
    codes = enabled.json()["recovery_codes"]
    challenge = (
        await http.post(f"{USER}/auth", json={"login": signup["username"], "password": password})
    ).json()
    assert (
        await http.post(f"{USER}/auth/2fa", json={"mfa_token": challenge["mfa_token"], "code": "000000"})
    ).status_code == 401
    second = await http.post(f"{USER}/auth/2fa", json={"mfa_token": challenge["mfa_token"], "code": codes[0]})
    assert second.status_code == 200
    renewed = await http.post(
        f"{USER}/2fa/recovery-codes",
        json={"current_password": password, "code": codes[1]},
        headers=_bearer(pair),
    )
    new_codes = renewed.json()["recovery_codes"]
    off = {"current_password": password, "code": new_codes[0]}
    assert (await http.post(f"{USER}/2fa/disable", json=off, headers=_bearer(pair))).status_code == 204

    wait_for(lambda: f'"{USER}/2fa/disable"' in debug_server.log(), timeout=10, what="the last access line")
    log = debug_server.log()
    leaks = [
        password,
        setup["secret"],
        setup["otpauth_uri"],
        challenge["mfa_token"],
        second.json()["access_token"],
        second.json()["refresh_token"],
        *codes,
        *new_codes,
    ]
    found = [leak for leak in leaks if leak in log]
    assert not found, f"{len(found)} secret(s) in the server log"
