"""The access-check cache across two real worker processes on one PostgreSQL and a private Redis.

Revoking on A is refused on B within 100 ms of A's answer; with B's invalidation channel cut, B
answers no access check from its cache; after reconnecting, B has forgotten what it cached before.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.workers import STALE_LIMIT_SECONDS, WATCH_SECONDS, accepted_after, cache_hits
from tests.resilience.processes import AppServer
from tests.services import PrivateRedis, wait_for

ROUNDS = 100
CHANNEL_ROUNDS = 10
SUBSCRIBED = "invalidation channel subscribed"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    """A redis-server of the module's own, which the tests stop and start."""
    with tempfile.TemporaryDirectory(prefix="teamsapp-access-cache-") as path:
        server = PrivateRedis(Path(path))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def workers(redis_server: PrivateRedis) -> Iterator[tuple[AppServer, AppServer]]:
    """Two `uvicorn teamsapp.api:api` processes on the suite's database and the private Redis."""
    with tempfile.TemporaryDirectory(prefix="teamsapp-access-workers-") as path:
        env = {"BACKEND_REDIS_URL": redis_server.url, "BACKEND_LOG_LEVEL": "INFO"}
        pair = (
            AppServer(env=env, log_path=Path(path) / "a.log"),
            AppServer(env=env, log_path=Path(path) / "b.log"),
        )
        try:
            for server in pair:
                server.start()
                wait_for(functools.partial(_subscribed, server), timeout=10, what="a subscription")
            yield pair
        finally:
            for server in pair:
                server.kill()


@pytest.fixture
async def clients(workers: tuple[AppServer, AppServer]) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    """An HTTP client of A and one of B."""
    async with (
        httpx.AsyncClient(base_url=workers[0].url, timeout=15) as on_a,
        httpx.AsyncClient(base_url=workers[1].url, timeout=15) as on_b,
    ):
        yield on_a, on_b


def _subscribed(server: AppServer) -> bool:
    return _subscriptions(server) >= 1


def _subscriptions(server: AppServer) -> int:
    return server.log_path.read_text(errors="replace").count(SUBSCRIBED)


async def _sign_up(http: httpx.AsyncClient) -> str:
    suffix = secrets.token_hex(5)
    response = await http.post(
        "/api/v1/user",
        json={
            "email": f"c-{suffix}@example.com",
            "username": f"c_{suffix}",
            "full_name": "C",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    return f"c_{suffix}"


async def _log_in(
    http: httpx.AsyncClient, login: str, password: str = PASSWORD
) -> tuple[dict[str, str], str]:
    response = await http.post("/api/v1/user/auth", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    tokens = response.json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}, tokens["refresh_token"].split(".")[0]


async def _warm(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for _ in range(3):
        assert (await http.get("/api/v1/user/me", headers=headers)).status_code == 200


def _revoke(
    on_a: httpx.AsyncClient,
    kind: str,
    *,
    mine: dict[str, str],
    theirs: dict[str, str],
    their_session: str,
    password: str,
) -> tuple[Coroutine[Any, Any, httpx.Response], str]:
    """A's request ending the session of `theirs` by `kind`, not sent yet; and the password after it."""
    if kind == "logout":
        return on_a.post("/api/v1/user/logout", headers=theirs), password
    if kind == "revoke_session":
        return on_a.delete(f"/api/v1/user/sessions/{their_session}", headers=mine), password
    if kind == "revoke_others":
        return on_a.delete("/api/v1/user/sessions", headers=mine), password
    new_password = f"{PASSWORD} {secrets.token_hex(3)}"
    body = {"current_password": password, "new_password": new_password}
    return on_a.patch("/api/v1/user/settings", headers=mine, json=body), new_password


KINDS = ("logout", "revoke_session", "revoke_others", "password_change")


async def test_a_revocation_on_one_worker_is_refused_on_the_other_within_100_ms(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    on_a, on_b = clients
    login = await _sign_up(on_a)
    password = PASSWORD
    hits_before = await cache_hits(on_b)
    stale: list[tuple[int, str, float]] = []
    for round_ in range(ROUNDS):
        kind = KINDS[round_ % len(KINDS)]
        mine, _ = await _log_in(on_a, login, password)
        headers, their_session = await _log_in(on_a, login, password)
        await _warm(on_b, headers)
        request, new_password = _revoke(
            on_a, kind, mine=mine, theirs=headers, their_session=their_session, password=password
        )
        answer = await request
        answered = time.monotonic()
        assert answer.status_code in (200, 204), answer.text
        password = new_password
        stale += [(round_, kind, late) for late in await accepted_after(on_b, headers, answered)]
    assert [entry for entry in stale if entry[2] > STALE_LIMIT_SECONDS] == []
    # B answered from its cache (3 warm-up calls a round, the first of them from the database).
    assert await cache_hits(on_b) - hits_before >= ROUNDS * 2


async def test_with_the_channel_cut_nothing_is_answered_from_the_cache_and_reconnecting_empties_it(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    workers: tuple[AppServer, AppServer],
    redis_server: PrivateRedis,
) -> None:
    on_a, on_b = clients
    login = await _sign_up(on_a)
    sessions = [await _log_in(on_a, login) for _ in range(CHANNEL_ROUNDS + 1)]
    for headers, _ in sessions:
        await _warm(on_b, headers)
    subscribed = _subscriptions(workers[1])
    redis_server.stop()
    try:
        hits_before = await cache_hits(on_b)
        for headers, _ in sessions[:CHANNEL_ROUNDS]:
            assert (await on_b.get("/api/v1/user/me", headers=headers)).status_code == 200
            assert (await on_a.post("/api/v1/user/logout", headers=headers)).status_code == 204
            # At once: B checks the database while its channel is down.
            assert (await on_b.get("/api/v1/user/me", headers=headers)).status_code == 401
        assert await cache_hits(on_b) == hits_before
        # Revoked while nobody could hear it; B had it cached before the cut.
        last, _ = sessions[-1]
        assert (await on_a.post("/api/v1/user/logout", headers=last)).status_code == 204
    finally:
        redis_server.start()
    await asyncio.to_thread(
        wait_for, lambda: _subscriptions(workers[1]) > subscribed, timeout=10, what="B subscribed again"
    )
    assert (await on_b.get("/api/v1/user/me", headers=last)).status_code == 401
    # And B uses its cache again once it hears the channel.
    fresh, _ = await _log_in(on_a, login)
    await _warm(on_b, fresh)
    assert await cache_hits(on_b) > hits_before


async def test_a_profile_change_on_one_worker_is_read_on_the_other_within_100_ms(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    on_a, on_b = clients
    login = await _sign_up(on_a)
    headers, _ = await _log_in(on_a, login)
    late: list[float] = []
    for theme in ("dark", "light", "dark", "system", "light"):
        await _warm(on_b, headers)
        answer = await on_a.patch("/api/v1/user/appearance", headers=headers, json={"theme": theme})
        answered = time.monotonic()
        assert answer.status_code == 200, answer.text
        while time.monotonic() - answered < WATCH_SECONDS:
            sent = time.monotonic()
            if (await on_b.get("/api/v1/user/me", headers=headers)).json()["appearance"]["theme"] == theme:
                break
            late.append(sent - answered)
    assert [seconds for seconds in late if seconds > STALE_LIMIT_SECONDS] == []
