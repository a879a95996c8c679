"""The edge of the app: client addresses behind a proxy, and the request body limit."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from teamsapp.core.config import get_settings
from tests.factories.users import DEFAULT_PASSWORD, make_user

AUTH = "/api/v1/user/auth"
SESSIONS = "/api/v1/user/sessions"
TRUSTED_NETWORK = "10.250.0.0/16"


def _address(prefix: str = "10") -> str:
    octets = prefix.split(".")
    while len(octets) < 3:
        octets.append(str(secrets.randbelow(256)))
    return ".".join([*octets, str(1 + secrets.randbelow(254))])


def _client(app: FastAPI, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
def proxied_api(monkeypatch: pytest.MonkeyPatch, app_lifespan: None) -> Iterator[FastAPI]:
    """The API built as a server would build it with `BACKEND_TRUSTED_PROXIES` set."""
    from teamsapp.api.app import create_api

    monkeypatch.setenv("BACKEND_TRUSTED_PROXIES", f"192.0.2.7, {TRUSTED_NETWORK}")
    get_settings.cache_clear()
    try:
        yield create_api()
    finally:
        monkeypatch.delenv("BACKEND_TRUSTED_PROXIES")
        get_settings.cache_clear()


async def _bad_login(http: httpx.AsyncClient, forwarded_for: str) -> httpx.Response:
    login = f"nobody-{secrets.token_hex(4)}@example.com"
    return await http.post(
        AUTH,
        json={"login": login, "password": "a wrong password"},
        headers={"X-Forwarded-For": forwarded_for},
    )


async def _good_login(http: httpx.AsyncClient, email: str, forwarded_for: str) -> httpx.Response:
    return await http.post(
        AUTH, json={"login": email, "password": DEFAULT_PASSWORD}, headers={"X-Forwarded-For": forwarded_for}
    )


async def test_an_untrusted_proxy_cannot_spread_failures_over_forged_addresses(
    client: httpx.AsyncClient,
) -> None:
    from teamsapp.api import api

    user = await make_user()
    proxy = _address()
    async with _client(api, proxy) as http:
        for _ in range(5):
            assert (await _bad_login(http, _address("172"))).status_code == 401
        refused = await _good_login(http, user.email, _address("172"))
    assert refused.status_code == 429
    async with _client(api, _address()) as elsewhere:
        assert (await _good_login(elsewhere, user.email, proxy)).status_code == 200


async def test_a_trusted_proxy_counts_failures_per_client(proxied_api: FastAPI) -> None:
    user = await make_user()
    attacker, victim = _address("172"), _address("172")
    async with _client(proxied_api, _address("10.250")) as proxy:
        for _ in range(5):
            assert (await _bad_login(proxy, attacker)).status_code == 401
        assert (await _good_login(proxy, user.email, attacker)).status_code == 429
        answer = await _good_login(proxy, user.email, f"{_address('172')}, {victim}")
        assert answer.status_code == 200
        sessions = await proxy.get(
            SESSIONS, headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
        )
    assert [entry["ip"] for entry in sessions.json()] == [victim]


async def test_an_untrusted_peer_is_its_own_address_in_the_session_list(proxied_api: FastAPI) -> None:
    user = await make_user()
    peer = _address("10.251")
    async with _client(proxied_api, peer) as http:
        answer = await _good_login(http, user.email, _address("172"))
        sessions = await http.get(
            SESSIONS, headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
        )
    assert [entry["ip"] for entry in sessions.json()] == [peer]


async def test_a_body_over_the_limit_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    body = b'{"message": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = await client.post("/api/v1/echo", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert str(get_settings().max_body_bytes) in response.json()["detail"]


async def test_a_chunked_body_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"login": "'
        for _ in range(10 * 16):
            sent += 64 * 1024
            yield b"x" * (64 * 1024)
        yield b'", "password": "whatever"}'

    response = await client.post(AUTH, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    assert "content-length" not in {name.lower() for name in response.request.headers}
    assert sent <= get_settings().max_body_bytes + 64 * 1024  # it stopped reading at the limit


async def test_a_body_under_the_limit_still_works(client: httpx.AsyncClient) -> None:
    message = "y" * 1000

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"message": "'
        yield message.encode()
        yield b'"}'

    response = await client.post(
        "/api/v1/echo", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["message"] == message
