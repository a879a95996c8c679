"""GET/PUT /api/v1/redis: superusers only, values in a namespace of their own."""

from __future__ import annotations

import secrets

import httpx

from teamsapp.core.redis import get_redis, key
from tests.factories.users import login, make_user

REDIS = "/api/v1/redis"


async def test_a_superuser_writes_and_reads_a_value(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user(superuser=True))
    name = f"greeting-{secrets.token_hex(4)}"
    written = await client.put(REDIS, headers=headers, json={"key": name, "value": "héllo"})
    assert written.status_code == 200
    assert written.json() == {"key": name, "value": "héllo"}
    read = await client.get(REDIS, headers=headers, params={"key": name})
    assert read.status_code == 200
    assert read.json() == {"key": name, "value": "héllo"}
    assert await get_redis().get(key("kv", name)) == "héllo"


async def test_values_cannot_reach_the_apps_own_keys(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user(superuser=True))
    user = await make_user()
    await client.post("/api/v1/user/auth", json={"login": user.email, "password": "wrong password"})
    response = await client.get(REDIS, headers=headers, params={"key": f"ratelimit:login:account:{user.id}"})
    assert response.status_code == 404


async def test_a_missing_key_is_a_404(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user(superuser=True))
    response = await client.get(REDIS, headers=headers, params={"key": f"absent-{secrets.token_hex(4)}"})
    assert response.status_code == 404


async def test_ordinary_users_get_a_403(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    assert (await client.get(REDIS, headers=headers, params={"key": "k"})).status_code == 403
    assert (await client.put(REDIS, headers=headers, json={"key": "k", "value": "v"})).status_code == 403


async def test_anonymous_callers_get_a_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(REDIS, params={"key": "k"})).status_code == 401
    assert (await client.put(REDIS, json={"key": "k", "value": "v"})).status_code == 401


async def test_bad_input_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user(superuser=True))
    assert (await client.get(REDIS, headers=headers)).json()["detail"][0]["loc"] == ["query", "key"]
    for body, field in [
        ({"key": "k"}, "value"),
        ({"key": "k" * 201, "value": "v"}, "key"),
        ({"key": "k", "value": 5}, "value"),
    ]:
        response = await client.put(REDIS, headers=headers, json=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]
