"""POST /api/v1/user: sign up, without revealing which emails have accounts."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.factories.users import make_user, new_account
from tests.fixtures.mail import Mailbox
from tests.fixtures.users import mails_to, reload_user

SIGNUP = "/api/v1/user"


async def test_sign_up_creates_the_user_and_mails_a_verification_link(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    body = new_account(email="Mixed.Case-" + secrets.token_hex(3) + "@Example.COM")
    response = await client.post(SIGNUP, json=body)
    assert response.status_code == 201
    user = response.json()
    assert set(user) == {
        "id",
        "email",
        "username",
        "full_name",
        "is_verified",
        "two_factor_enabled",
        "appearance",
    }
    assert user["email"] == body["email"].lower()
    assert user["username"] == body["username"]
    assert user["is_verified"] is False
    assert user["appearance"] == {"theme": "system", "accent_color": "indigo"}
    assert "password" not in response.text and "hash" not in response.text

    message = await mailbox.wait_for(to=user["email"])
    link = mailbox.link(message)
    assert link.startswith("http://127.0.0.1:3000/verify?token=")
    assert (await client.post("/api/v1/user/verify", json={"token": mailbox.link_token(message)})).json()[
        "is_verified"
    ]


async def test_the_new_user_can_log_in(client: httpx.AsyncClient) -> None:
    body = new_account()
    await client.post(SIGNUP, json=body)
    response = await client.post(
        "/api/v1/user/auth", json={"login": body["username"], "password": body["password"]}
    )
    assert response.status_code == 200


async def test_a_taken_email_answers_like_a_new_account(client: httpx.AsyncClient) -> None:
    owner = await make_user(full_name="Owner")
    fresh = await client.post(SIGNUP, json=new_account(username="fresh_" + secrets.token_hex(4)))
    taken = await client.post(
        SIGNUP, json=new_account(email=owner.email, username="taken_" + secrets.token_hex(4))
    )
    assert fresh.status_code == taken.status_code == 201
    fresh_body, taken_body = fresh.json(), taken.json()
    assert set(fresh_body) == set(taken_body)
    for key in ["full_name", "is_verified", "two_factor_enabled", "appearance"]:
        assert fresh_body[key] == taken_body[key]
    assert taken_body["email"] == owner.email
    assert taken_body["id"] != str(owner.id)
    assert await mails_to(owner.email) == 0
    stored = await reload_user(owner.id)
    assert stored.full_name == "Owner"
    assert stored.password_hash == owner.password_hash


async def test_a_taken_username_is_a_409_naming_the_field(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    response = await client.post(SIGNUP, json=new_account(username=owner.username.upper()))
    assert response.status_code == 409
    assert response.json() == {"detail": "That username is taken.", "field": "username"}


async def test_a_password_over_72_bytes_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGNUP, json=new_account(password="ü" * 40))
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "password"]
    assert "72 bytes" in error["msg"]


async def test_a_password_of_exactly_72_bytes_is_accepted(client: httpx.AsyncClient) -> None:
    body = new_account(password="p" * 72)
    assert (await client.post(SIGNUP, json=body)).status_code == 201
    response = await client.post("/api/v1/user/auth", json={"login": body["email"], "password": "p" * 72})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "a" * 245 + "@example.com"),
        ("email", "not-an-email"),
        ("username", "u" * 101),
        ("username", "ab"),
        ("username", "has@sign"),
        ("username", "has space"),
        ("full_name", "n" * 101),
        ("full_name", "   "),
        ("password", "short"),
    ],
)
async def test_invalid_fields_are_a_422_naming_the_field(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    response = await client.post(SIGNUP, json=new_account(**{field: value}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize("field", ["email", "username", "full_name", "password"])
async def test_a_missing_field_is_a_422_naming_it(client: httpx.AsyncClient, field: str) -> None:
    body = new_account()
    del body[field]
    response = await client.post(SIGNUP, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize("field", ["email", "username", "full_name", "password"])
async def test_a_wrong_type_is_a_422_naming_the_field(client: httpx.AsyncClient, field: str) -> None:
    response = await client.post(SIGNUP, json=new_account(**{field: 12345678}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize("content", ['{"email": "a@b.co"', "[]", "null", "not json"])
async def test_malformed_json_is_a_422(client: httpx.AsyncClient, content: str) -> None:
    response = await client.post(SIGNUP, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422
