"""Revocation reaches every worker at once: two app processes on the suite's PostgreSQL.

A token made on A works on B; once A has answered its revocation, B's very next call is a 401
(the access check reads the token per request, never from a cache).
"""

from __future__ import annotations

import secrets

import httpx

from tests.factories.api_tokens import bearer
from tests.factories.users import DEFAULT_PASSWORD, make_user
from tests.resilience.processes import AppServer


async def test_a_revoked_token_stops_on_the_other_worker_at_once(
    two_workers: tuple[AppServer, AppServer],
) -> None:
    first, second = two_workers
    user = await make_user()
    # An address of its own, so per-address log-in limits of other tests never meet this one.
    address = {"X-Forwarded-For": f"127.7.{secrets.randbelow(250)}.{1 + secrets.randbelow(250)}"}
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=15) as on_a,
        httpx.AsyncClient(base_url=second.url, timeout=15) as on_b,
    ):
        logged_in = await on_a.post(
            "/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD}, headers=address
        )
        session = {"Authorization": f"Bearer {logged_in.json()['access_token']}"}
        created = await on_a.post(
            "/api/v1/user/tokens", json={"name": "deploy", "scopes": ["user:read"]}, headers=session
        )
        assert created.status_code == 201, created.text
        token = created.json()

        assert (await on_b.get("/api/v1/user/me", headers=bearer(token["token"]))).status_code == 200
        revoked = await on_a.delete(f"/api/v1/user/tokens/{token['id']}", headers=session)
        assert revoked.status_code == 204

        after = await on_b.get("/api/v1/user/me", headers=bearer(token["token"]))
        assert after.status_code == 401
    assert "Traceback" not in first.log() + second.log()
