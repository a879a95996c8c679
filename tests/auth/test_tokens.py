"""Access tokens: tampered, expired or incomplete JWTs are a 401; ended sessions and old passwords too."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import delete

from teamsapp.core.config import get_settings
from teamsapp.core.db import session_scope
from teamsapp.models import User
from tests.factories.users import DEFAULT_PASSWORD, login, make_user

ME = "/api/v1/user/me"


async def _claims(client: httpx.AsyncClient) -> dict[str, Any]:
    user = await make_user()
    headers = await login(client, user)
    token = headers["Authorization"].removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(token, get_settings().signing_key, algorithms=["HS256"])
    return claims


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_signed_again_with_the_real_key_works(client: httpx.AsyncClient) -> None:
    claims = await _claims(client)
    token = jwt.encode(claims, get_settings().signing_key, algorithm="HS256")
    assert (await client.get(ME, headers=_bearer(token))).status_code == 200


async def test_a_token_signed_with_another_key_is_refused(client: httpx.AsyncClient) -> None:
    claims = await _claims(client)
    token = jwt.encode(claims, "another-key-" + "x" * 40, algorithm="HS256")
    response = await client.get(ME, headers=_bearer(token))
    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is not valid."}


async def test_a_token_with_alg_none_is_refused(client: httpx.AsyncClient) -> None:
    claims = await _claims(client)
    token = jwt.encode(claims, "", algorithm="none")  # PyJWT takes "" as no key for alg none
    assert (await client.get(ME, headers=_bearer(token))).status_code == 401


async def test_a_token_with_another_algorithm_and_the_same_key_is_refused(client: httpx.AsyncClient) -> None:
    claims = await _claims(client)
    token = jwt.encode(claims, get_settings().signing_key, algorithm="HS512")
    assert (await client.get(ME, headers=_bearer(token))).status_code == 401


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "sid"])
async def test_a_token_missing_a_required_claim_is_refused(client: httpx.AsyncClient, claim: str) -> None:
    claims = await _claims(client)
    del claims[claim]
    token = jwt.encode(claims, get_settings().signing_key, algorithm="HS256")
    assert (await client.get(ME, headers=_bearer(token))).status_code == 401


async def test_an_expired_token_is_refused(client: httpx.AsyncClient) -> None:
    claims = await _claims(client)
    claims["exp"] = int(time.time()) - 1
    token = jwt.encode(claims, get_settings().signing_key, algorithm="HS256")
    response = await client.get(ME, headers=_bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_a_token_with_a_forged_subject_is_refused(client: httpx.AsyncClient) -> None:
    claims = await _claims(client)
    other = await make_user()
    claims["sub"] = str(other.id)
    token = jwt.encode(claims, get_settings().signing_key, algorithm="HS256")
    assert (await client.get(ME, headers=_bearer(token))).status_code == 401


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer a.b.c"], ids=repr
)
async def test_missing_or_garbage_credentials_are_a_401(client: httpx.AsyncClient, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


async def test_a_token_of_a_deleted_user_is_refused(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    async with session_scope() as session:
        await session.exec(delete(User).where(User.id == user.id))  # type: ignore[arg-type]
    assert (await client.get(ME, headers=headers)).status_code == 401


async def test_a_token_issued_before_a_password_change_is_refused(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    response = await client.patch(
        "/api/v1/user/settings",
        headers=headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a brand new password"},
    )
    assert response.status_code == 200
    assert (await client.get(ME, headers=headers)).status_code == 401
    fresh = await login(client, user, password="a brand new password")
    assert (await client.get(ME, headers=fresh)).status_code == 200
