"""The log-in limit holds under attack (SPEC 4): it cannot be raced, never stretches its window,
costs a password check even for unknown logins, and fails closed without Redis.

The password checks are counted by wrapping the service's `verify_password`; everything else is
the real app on the real PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from teamsapp.auth import service as auth_service
from teamsapp.core import redis as core_redis
from teamsapp.core import security
from tests.auth.test_rate_limits import client_from, random_address
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.users import reload_user
from tests.services import PrivateRedis

AUTH = "/api/v1/user/auth"
WRONG = "a wrong password"


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every hash the log-in service checks a password against, in order."""
    checked: list[str] = []
    real: Callable[[str, str], Coroutine[Any, Any, bool]] = security.verify_password

    async def counting(password: str, password_hash: str) -> bool:
        checked.append(password_hash)
        return await real(password, password_hash)

    monkeypatch.setattr(auth_service, "verify_password", counting)
    return checked


@pytest.fixture
async def forty_clients(app_lifespan: None) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Forty clients, each from an address of its own, so only the account's count can stop them."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(client_from(random_address())) for _ in range(40)]


async def test_forty_parallel_guesses_get_at_most_five_password_checks(
    forty_clients: list[httpx.AsyncClient], password_checks: list[str]
) -> None:
    user = await make_user()

    answers = await asyncio.gather(
        *(http.post(AUTH, json={"login": user.username, "password": WRONG}) for http in forty_clients)
    )

    assert len(password_checks) == 5
    assert sorted(answer.status_code for answer in answers) == [401] * 5 + [429] * 35


async def test_parallel_guesses_with_the_right_password_among_them_still_check_at_most_five(
    forty_clients: list[httpx.AsyncClient], password_checks: list[str]
) -> None:
    user = await make_user()
    passwords = [WRONG] * 39 + [DEFAULT_PASSWORD]

    await asyncio.gather(
        *(
            http.post(AUTH, json={"login": user.email, "password": password})
            for http, password in zip(forty_clients, passwords, strict=True)
        )
    )

    assert len(password_checks) <= 5


async def test_a_login_naming_nobody_still_checks_a_password_hash(
    client: httpx.AsyncClient, password_checks: list[str]
) -> None:
    user = await make_user()
    unknown = await client.post(AUTH, json={"login": f"nobody-{secrets.token_hex(4)}", "password": WRONG})
    known = await client.post(AUTH, json={"login": user.username, "password": WRONG})

    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert len(password_checks) == 2
    assert password_checks[0].startswith("$2b$")
    assert password_checks[1] == user.password_hash


async def _window_left(user_id: str) -> int:
    return int(await core_redis.get_redis().ttl(core_redis.key("ratelimit", "login", "account", user_id)))


async def test_later_failures_never_extend_the_window(client: httpx.AsyncClient) -> None:
    user = await make_user()
    redis = core_redis.get_redis()
    account_key = core_redis.key("ratelimit", "login", "account", str(user.id))
    assert (await client.post(AUTH, json={"login": user.email, "password": WRONG})).status_code == 401
    # As if most of the window had passed: later attempts must leave its end where it is.
    await redis.expire(account_key, 100)
    for _ in range(4):
        async with client_from(random_address()) as other:
            assert (await other.post(AUTH, json={"login": user.email, "password": WRONG})).status_code == 401
    assert await _window_left(str(user.id)) <= 100
    async with client_from(random_address()) as other:
        locked = await other.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) <= 100
    assert await _window_left(str(user.id)) <= 100


async def test_with_redis_down_a_password_change_fails_closed(
    client: httpx.AsyncClient, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user()
    headers = await login(client, user)
    private = Redis.from_url(
        private_redis.url, decode_responses=True, socket_timeout=1, socket_connect_timeout=1
    )
    monkeypatch.setattr(core_redis, "get_redis", lambda: private)
    private_redis.stop()

    response = await client.patch(
        "/api/v1/user/settings",
        headers=headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a brand new password"},
    )

    assert response.status_code == 503
    assert "Redis" in response.json()["detail"]
    assert (await reload_user(user.id)).password_hash == user.password_hash
    await private.aclose()
