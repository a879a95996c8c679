"""POST /api/v1/user: sign up, without revealing which emails have accounts."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.factories.users import DEFAULT_PASSWORD, make_user, new_account
from tests.fixtures.mail import Mailbox

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
    verified = await client.post(
        "/api/v1/user/verify", json={"token": mailbox.link_token(message), "password": body["password"]}
    )
    assert verified.json()["is_verified"]


async def test_the_new_user_can_log_in(client: httpx.AsyncClient) -> None:
    body = new_account()
    await client.post(SIGNUP, json=body)
    response = await client.post(
        "/api/v1/user/auth", json={"login": body["username"], "password": body["password"]}
    )
    assert response.status_code == 200


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
    response = await client.post("/api/v1/user/auth", json={"login": body["username"], "password": "p" * 72})
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


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" and char != "@" else char for char in text)


async def test_a_fullwidth_address_is_the_same_address(client: httpx.AsyncClient) -> None:
    email = f"wide-{secrets.token_hex(3)}@example.com"
    response = await client.post(SIGNUP, json=new_account(email=_fullwidth(email)))
    assert response.status_code == 201
    assert response.json()["email"] == email


async def test_a_homoglyph_in_the_local_part_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGNUP, json=new_account(email="\u0430da@example.com"))  # Cyrillic a
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


async def test_an_international_domain_is_stored_in_its_ascii_form(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGNUP, json=new_account(email="ada@ex\u0430mple.com"))
    assert response.status_code == 201
    assert response.json()["email"] == "ada@xn--exmple-4nf.com"


async def test_a_fullwidth_username_is_the_same_username(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    taken = await client.post(SIGNUP, json=new_account(username=_fullwidth(owner.username)))
    assert taken.status_code == 409
    assert taken.json()["field"] == "username"
    cyrillic = await client.post(SIGNUP, json=new_account(username="\u0430" + owner.username))
    assert cyrillic.status_code == 422
    assert cyrillic.json()["detail"][0]["loc"] == ["body", "username"]


async def test_a_fullwidth_login_finds_the_account(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    for login in (owner.username, owner.email):
        response = await client.post(
            "/api/v1/user/auth", json={"login": _fullwidth(login), "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 200, login
