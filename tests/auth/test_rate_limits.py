"""Rate limits in Redis: log-in failures per account and per address, mail sends per account.

They live in the services, so REST, the UI and every worker process share one count; with Redis
down the limited actions answer 503 and everything else keeps working.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from teamsapp.auth import service as auth_service
from teamsapp.core import redis as core_redis
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Unauthorized
from tests import services
from tests.factories.users import DEFAULT_PASSWORD, login, make_user, new_account
from tests.services import PrivateRedis

AUTH = "/api/v1/user/auth"
ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def client_from(address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the ASGI app whose requests come from `address`."""
    from teamsapp.api import api

    transport = httpx.ASGITransport(app=api, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def random_address() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


async def _fail(client: httpx.AsyncClient, login: str) -> httpx.Response:
    return await client.post(AUTH, json={"login": login, "password": "a wrong password"})


async def test_five_failures_lock_the_account_with_retry_after(client: httpx.AsyncClient) -> None:
    user = await make_user()
    for _ in range(5):
        assert (await _fail(client, user.email)).status_code == 401
    response = await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many" in response.json()["detail"]


async def test_the_account_lock_holds_from_every_address_and_for_email_or_username(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    for index in range(5):
        async with client_from(random_address()) as other:
            assert (await _fail(other, user.email if index % 2 else user.username)).status_code == 401
    response = await client.post(AUTH, json={"login": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429


async def test_five_failures_from_one_address_lock_that_address(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await _fail(client, f"nobody-{secrets.token_hex(4)}@example.com")).status_code == 401
    user = await make_user()
    assert (
        await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    ).status_code == 429
    async with client_from(random_address()) as elsewhere:
        assert (await login(elsewhere, user))["Authorization"].startswith("Bearer ")


async def test_unknown_accounts_are_limited_like_known_ones(client: httpx.AsyncClient) -> None:
    unknown = f"nobody-{secrets.token_hex(4)}@example.com"
    answers = []
    for _ in range(6):
        async with client_from(random_address()) as other:
            answers.append((await _fail(other, unknown)).status_code)
    assert answers == [401] * 5 + [429]


async def test_a_successful_login_forgives_the_accounts_failures(client: httpx.AsyncClient) -> None:
    user = await make_user()
    for _ in range(4):
        async with client_from(random_address()) as other:
            await _fail(other, user.email)
    await login(client, user)
    for _ in range(4):
        async with client_from(random_address()) as other:
            assert (await _fail(other, user.email)).status_code == 401
    await login(client, user)


async def test_the_ui_path_and_rest_share_the_count(client: httpx.AsyncClient) -> None:
    user = await make_user()
    for _ in range(5):
        with pytest.raises(Unauthorized):
            async with session_scope() as session:
                await auth_service.login(
                    session, login=user.email, password="a wrong password", device="browser", ip="ui"
                )
    response = await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429


async def test_mail_sends_are_limited_to_three_per_account(client: httpx.AsyncClient) -> None:
    user = await make_user()
    answers = []
    for _ in range(4):
        async with client_from(random_address()) as other:
            response = await other.post("/api/v1/user/password/reset/send", json={"email": user.email})
            answers.append(response.status_code)
    assert answers == [202, 202, 202, 429]
    assert 0 < int(response.headers["Retry-After"]) <= 10 * 60


async def test_verification_mails_are_limited_to_three_per_address_sign_ups_included(
    client: httpx.AsyncClient,
) -> None:
    email = f"counted-{secrets.token_hex(4)}@example.com"
    answers = [(await client.post("/api/v1/user", json=new_account(email=email))).status_code]
    for _ in range(2):
        answers.append((await client.post("/api/v1/user/verify/send", json={"email": email})).status_code)
    answers.append((await client.post("/api/v1/user", json=new_account(email=email))).status_code)
    answers.append((await client.post("/api/v1/user/verify/send", json={"email": email})).status_code)
    assert answers == [201, 202, 202, 429, 429]


async def test_mail_sends_to_unknown_addresses_are_limited_the_same_way(client: httpx.AsyncClient) -> None:
    unknown = f"nobody-{secrets.token_hex(4)}@example.com"
    answers = [
        (await client.post("/api/v1/user/password/reset/send", json={"email": unknown})).status_code
        for _ in range(4)
    ]
    assert answers == [202, 202, 202, 429]


@contextmanager
def two_app_processes() -> Iterator[list[str]]:
    """Two `uvicorn teamsapp.api:api` processes on loopback with the suite's settings, killed at the end."""
    ports = [services.free_port(), services.free_port()]
    processes = []
    logs = []
    try:
        for port in ports:
            log = open(os.devnull, "wb")  # noqa: SIM115
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "teamsapp.api:api",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    cwd=ROOT,
                    env=os.environ.copy(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 60
        for url, process in zip(urls, processes, strict=True):
            while True:
                assert process.poll() is None, f"the app process for {url} exited"
                try:
                    if httpx.get(f"{url}/api/v1/monitoring/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"the app at {url} did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for log in logs:
            log.close()


async def test_two_app_processes_share_one_count() -> None:
    user = await make_user()
    # A loopback source address of this test's own, so no other test's address is locked.
    source = f"127.{secrets.randbelow(250) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(250) + 2}"
    with two_app_processes() as urls:
        transport = httpx.AsyncHTTPTransport(local_address=source)
        async with httpx.AsyncClient(transport=transport, timeout=30) as http:
            answers = []
            for index in range(5):
                url = urls[index % 2]
                answers.append(
                    (
                        await http.post(f"{url}{AUTH}", json={"login": user.email, "password": "wrong one"})
                    ).status_code
                )
            assert answers == [401] * 5
            for url in urls:
                right = await http.post(
                    f"{url}{AUTH}", json={"login": user.email, "password": DEFAULT_PASSWORD}
                )
                assert right.status_code == 429
                assert int(right.headers["Retry-After"]) > 0


async def test_with_redis_down_limited_actions_answer_503_and_the_rest_works(
    client: httpx.AsyncClient, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user()
    headers = await login(client, user)
    refresh_token = (
        await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    ).json()["refresh_token"]
    private = Redis.from_url(
        private_redis.url, decode_responses=True, socket_timeout=1, socket_connect_timeout=1
    )
    monkeypatch.setattr(core_redis, "get_redis", lambda: private)
    assert (
        await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    ).status_code == 200

    private_redis.stop()

    down = await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert down.status_code == 503
    assert "Redis" in down.json()["detail"]
    for path in ["verify/send", "password/reset/send"]:
        assert (await client.post(f"/api/v1/user/{path}", json={"email": user.email})).status_code == 503
    assert (await client.get("/api/v1/user/me", headers=headers)).status_code == 200
    assert (
        await client.patch("/api/v1/user/settings", headers=headers, json={"full_name": "Still"})
    ).status_code == 200
    refreshed = await client.post("/api/v1/user/auth/refresh", json={"refresh_token": refresh_token})
    assert refreshed.status_code == 200
    # A sign-up mails its address, so it is limited like the other mail sends.
    signup = await client.post("/api/v1/user", json=new_account(full_name="Down"))
    assert signup.status_code == 503
    await private.aclose()
