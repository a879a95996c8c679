"""The accounts services count sign-ups, log-ins by outcome, tokens and rate-limit refusals."""

from __future__ import annotations

import re
import secrets

import httpx

from tests import services
from tests.factories.users import DEFAULT_PASSWORD, make_user, new_account


async def _value(client: httpx.AsyncClient, sample: str) -> float:
    text = (await client.get("/metrics", headers=services.metrics_headers())).text
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_login_outcomes_are_counted(client: httpx.AsyncClient) -> None:
    success = 'teamsapp_logins_total{outcome="success"}'
    failure = 'teamsapp_logins_total{outcome="failure"}'
    before = (await _value(client, success), await _value(client, failure))
    user = await make_user()
    await client.post("/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD})
    await client.post("/api/v1/user/auth", json={"login": user.email, "password": "wrong password"})
    after = (await _value(client, success), await _value(client, failure))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


async def test_signups_and_issued_tokens_are_counted(client: httpx.AsyncClient) -> None:
    signups = "teamsapp_signups_total"
    access = 'teamsapp_tokens_issued_total{kind="access"}'
    before = (await _value(client, signups), await _value(client, access))
    account = new_account(full_name="Counted")
    response = await client.post("/api/v1/user", json=account)
    assert response.status_code == 201
    await client.post("/api/v1/user/auth", json={"login": account["username"], "password": DEFAULT_PASSWORD})
    assert (await _value(client, signups), await _value(client, access)) == (before[0] + 1, before[1] + 1)


async def test_rate_limit_refusals_are_counted(client: httpx.AsyncClient) -> None:
    sample = 'teamsapp_rate_limit_refusals_total{action="mail"}'
    before = await _value(client, sample)
    email = f"nobody-{secrets.token_hex(4)}@example.com"
    for _ in range(4):
        await client.post("/api/v1/user/password/reset/send", json={"email": email})
    assert await _value(client, sample) == before + 1
