"""POST /api/v1/user/auth: log in with JSON or the OAuth2 form, and the same answer for every failure."""

from __future__ import annotations

import httpx
import jwt

from teamsapp.core.config import get_settings
from tests.factories.users import DEFAULT_PASSWORD, login, make_user


async def test_login_with_email_returns_a_token_pair(client: httpx.AsyncClient) -> None:
    user = await make_user()
    response = await client.post(
        "/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_minutes * 60
    assert body["refresh_token"]
    claims = jwt.decode(body["access_token"], get_settings().signing_key, algorithms=["HS256"])
    assert claims["sub"] == str(user.id)
    assert {"exp", "iat", "sid"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 15 * 60 or abs(claims["exp"] - claims["iat"] - 900) < 1


async def test_login_with_username_in_any_case(client: httpx.AsyncClient) -> None:
    user = await make_user()
    response = await client.post(
        "/api/v1/user/auth", json={"login": user.username.upper(), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200


async def test_login_accepts_the_oauth2_password_form(client: httpx.AsyncClient) -> None:
    user = await make_user()
    response = await client.post(
        "/api/v1/user/auth",
        data={"grant_type": "password", "username": user.username, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await client.get("/api/v1/user/me", headers=headers)).json()["id"] == str(user.id)


async def test_the_token_from_login_opens_me(client: httpx.AsyncClient) -> None:
    user = await make_user(verified=False)
    response = await client.get("/api/v1/user/me", headers=await login(client, user))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.id),
        "email": user.email,
        "username": user.username,
        "full_name": user.full_name,
        "is_verified": False,
        "two_factor_enabled": False,
        "appearance": {"theme": "system", "accent_color": "indigo"},
    }


async def test_wrong_password_and_unknown_user_get_the_same_answer(client: httpx.AsyncClient) -> None:
    user = await make_user()
    wrong = await client.post("/api/v1/user/auth", json={"login": user.email, "password": "not the password"})
    unknown = await client.post(
        "/api/v1/user/auth", json={"login": f"nobody-{user.username}@example.com", "password": "whatever1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers.get("content-length") == unknown.headers.get("content-length")


async def test_login_with_a_password_over_72_bytes_is_a_422_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    response = await client.post("/api/v1/user/auth", json={"login": user.email, "password": "é" * 37})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    assert "72 bytes" in response.json()["detail"][0]["msg"]


async def test_login_form_errors_name_the_form_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/user/auth", data={"password": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]


async def test_login_with_malformed_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/user/auth", content='{"login": "a"', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_login_with_wrong_types_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/user/auth", json={"login": 5, "password": ["x"]})
    assert response.status_code == 422
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {
        ("body", "login"),
        ("body", "password"),
    }


async def test_unverified_users_can_log_in(client: httpx.AsyncClient) -> None:
    user = await make_user(verified=False)
    assert (await client.get("/api/v1/user/me", headers=await login(client, user))).status_code == 200
