"""POST /api/v1/user/auth/refresh: rotation, and a reused refresh token ends its session."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.factories.users import DEFAULT_PASSWORD, make_user

AUTH = "/api/v1/user/auth"
REFRESH = "/api/v1/user/auth/refresh"
ME = "/api/v1/user/me"


async def _pair(client: httpx.AsyncClient) -> dict[str, str]:
    user = await make_user()
    response = await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    pair: dict[str, str] = response.json()
    return pair


def _bearer(pair: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def test_refresh_returns_a_new_pair_that_works(client: httpx.AsyncClient) -> None:
    old = await _pair(client)
    response = await client.post(REFRESH, json={"refresh_token": old["refresh_token"]})
    assert response.status_code == 200
    new = response.json()
    assert new["token_type"] == "bearer"
    assert new["refresh_token"] != old["refresh_token"]
    assert new["access_token"] != old["access_token"]
    assert (await client.get(ME, headers=_bearer(new))).status_code == 200


async def test_the_rotated_refresh_token_works_in_turn(client: httpx.AsyncClient) -> None:
    pair = await _pair(client)
    for _ in range(3):
        response = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
        assert response.status_code == 200
        pair = response.json()


async def test_a_reused_refresh_token_is_refused_and_ends_the_session(client: httpx.AsyncClient) -> None:
    old = await _pair(client)
    new = (await client.post(REFRESH, json={"refresh_token": old["refresh_token"]})).json()

    reuse = await client.post(REFRESH, json={"refresh_token": old["refresh_token"]})
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    assert (await client.get(ME, headers=_bearer(new))).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": new["refresh_token"]})).status_code == 401


async def test_a_reused_refresh_token_leaves_the_users_other_sessions_alone(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    one = (await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})).json()
    two = (await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})).json()
    await client.post(REFRESH, json={"refresh_token": one["refresh_token"]})
    await client.post(REFRESH, json={"refresh_token": one["refresh_token"]})
    assert (await client.get(ME, headers=_bearer(two))).status_code == 200


async def test_refresh_after_logout_is_refused(client: httpx.AsyncClient) -> None:
    pair = await _pair(client)
    assert (await client.post("/api/v1/user/logout", headers=_bearer(pair))).status_code == 204
    assert (await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})).status_code == 401


@pytest.mark.parametrize(
    "token",
    ["garbage", "", "0" * 32 + ".forged", "not-hex.forged", "x" * 201],
    ids=["garbage", "empty", "forged", "bad-id", "long"],
)
async def test_bad_refresh_tokens_are_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post(REFRESH, json={"refresh_token": token})
    assert response.status_code in (401, 422)
    if response.status_code == 422:
        assert response.json()["detail"][0]["loc"] == ["body", "refresh_token"]


async def test_an_access_token_is_not_a_refresh_token(client: httpx.AsyncClient) -> None:
    pair = await _pair(client)
    assert (await client.post(REFRESH, json={"refresh_token": pair["access_token"]})).status_code in (
        401,
        422,
    )


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token.split(".")[0] + ".anything",
        lambda token: token.split(".")[0] + ".anything.0123456789abcdef0123456789abcdef",
        lambda token: ".".join(token.split(".")[:2]) + ".0123456789abcdef0123456789abcdef",
    ],
    ids=["no-tag", "forged-secret", "forged-tag"],
)
async def test_a_forged_refresh_token_naming_a_session_revokes_nothing(
    client: httpx.AsyncClient, forge: Callable[[str], str]
) -> None:
    pair = await _pair(client)
    forged = await client.post(REFRESH, json={"refresh_token": forge(pair["refresh_token"])})
    assert forged.status_code == 401
    assert "already used" not in forged.json()["detail"]
    assert (await client.get(ME, headers=_bearer(pair))).status_code == 200
    assert (await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})).status_code == 200
