"""Revocation reaches every worker at once: two app processes on the suite's PostgreSQL.

A token made on A works on B (answered from B's access cache once warm); once A has answered its
revocation, B refuses the token within 100 ms (the invalidation travels through Redis pub/sub).
"""

from __future__ import annotations

import secrets
import time

import httpx

from tests.factories.api_tokens import bearer
from tests.factories.users import DEFAULT_PASSWORD, make_user
from tests.fixtures.workers import STALE_LIMIT_SECONDS, accepted_after, cache_hits
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

        hits = await cache_hits(on_b)
        # The first use writes `last_used_at`, the second caches, the rest are answered from B's cache.
        for _ in range(4):
            assert (await on_b.get("/api/v1/user/me", headers=bearer(token["token"]))).status_code == 200
        assert await cache_hits(on_b) >= hits + 2
        revoked = await on_a.delete(f"/api/v1/user/tokens/{token['id']}", headers=session)
        assert revoked.status_code == 204
        answered = time.monotonic()

        late = await accepted_after(on_b, bearer(token["token"]), answered)
        assert [seconds for seconds in late if seconds > STALE_LIMIT_SECONDS] == []
        assert (await on_b.get("/api/v1/user/me", headers=bearer(token["token"]))).status_code == 401
    assert "Traceback" not in first.log() + second.log()
