"""PATCH /api/v1/user/settings and the email change confirmed by a mailed token."""

from __future__ import annotations

import secrets

import httpx
import pytest

from teamsapp.models import User
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.mail import Mailbox
from tests.fixtures.users import expire_token, mails_to, reload_user

SETTINGS = "/api/v1/user/settings"
CONFIRM = "/api/v1/user/settings/email/confirm"
ME = "/api/v1/user/me"


def _address() -> str:
    return f"moved-{secrets.token_hex(4)}@example.com"


async def _request_email_change(client: httpx.AsyncClient, mailbox: Mailbox, user: User) -> tuple[str, str]:
    """Ask to move `user` to a fresh address; the address and the token mailed to it."""
    new_email = _address()
    await client.patch(
        SETTINGS,
        headers=await login(client, user),
        json={"email": new_email, "current_password": DEFAULT_PASSWORD},
    )
    return new_email, mailbox.link_token(await mailbox.wait_for(to=new_email))


async def test_change_full_name_and_username(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    username = f"Renamed_{secrets.token_hex(3)}"
    response = await client.patch(
        SETTINGS, headers=headers, json={"full_name": "  Grace Hopper ", "username": username}
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "Grace Hopper"
    assert response.json()["username"] == username.lower()
    assert (await client.get(ME, headers=headers)).json()["username"] == username.lower()


async def test_a_taken_username_is_a_409(client: httpx.AsyncClient) -> None:
    user, other = await make_user(), await make_user()
    response = await client.patch(
        SETTINGS, headers=await login(client, user), json={"username": other.username}
    )
    assert response.status_code == 409
    assert response.json()["field"] == "username"


async def test_keeping_ones_own_username_is_fine(client: httpx.AsyncClient) -> None:
    user = await make_user()
    response = await client.patch(
        SETTINGS, headers=await login(client, user), json={"username": user.username}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("change", [{"new_password": "another password"}, {"email": "x@example.com"}])
async def test_password_and_email_changes_need_the_current_password(
    client: httpx.AsyncClient, change: dict[str, str]
) -> None:
    user = await make_user()
    headers = await login(client, user)
    missing = await client.patch(SETTINGS, headers=headers, json=change)
    assert missing.status_code == 422
    assert missing.json()["field"] == "current_password"
    wrong = await client.patch(
        SETTINGS, headers=headers, json={**change, "current_password": "not it at all"}
    )
    assert wrong.status_code == 422
    assert wrong.json() == {"detail": "The current password is wrong.", "field": "current_password"}


async def test_a_refused_change_writes_nothing(client: httpx.AsyncClient) -> None:
    user = await make_user(full_name="Before")
    headers = await login(client, user)
    response = await client.patch(
        SETTINGS, headers=headers, json={"full_name": "After", "new_password": "another password"}
    )
    assert response.status_code == 422
    assert (await reload_user(user.id)).full_name == "Before"


async def test_a_password_change_ends_every_other_session(client: httpx.AsyncClient) -> None:
    user = await make_user()
    other = await login(client, user)
    auth = await client.post("/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD})
    current = auth.json()
    response = await client.patch(
        SETTINGS,
        headers={"Authorization": f"Bearer {current['access_token']}"},
        json={"current_password": DEFAULT_PASSWORD, "new_password": "another password"},
    )
    assert response.status_code == 200
    assert (await client.get(ME, headers=other)).status_code == 401
    # The current session lives on: its refresh token gives a token issued after the change.
    refreshed = await client.post(
        "/api/v1/user/auth/refresh", json={"refresh_token": current["refresh_token"]}
    )
    assert refreshed.status_code == 200
    headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert (await client.get(ME, headers=headers)).status_code == 200
    await login(client, user, password="another password")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": "é" * 37, "current_password": DEFAULT_PASSWORD}, "new_password"),
        ({"new_password": "another password", "current_password": "é" * 37}, "current_password"),
        ({"new_password": "short", "current_password": DEFAULT_PASSWORD}, "new_password"),
        ({"full_name": "n" * 101}, "full_name"),
        ({"username": "u" * 101}, "username"),
        ({"email": "e" * 250 + "@x.io"}, "email"),
        ({"full_name": 5}, "full_name"),
    ],
)
async def test_invalid_settings_are_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    user = await make_user()
    response = await client.patch(SETTINGS, headers=await login(client, user), json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_email_change_end_to_end(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user(full_name="Mover")
    headers = await login(client, user)
    new_email = _address()
    response = await client.patch(
        SETTINGS, headers=headers, json={"email": new_email, "current_password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["email"] == user.email

    message = await mailbox.wait_for(to=new_email)
    assert mailbox.link(message).startswith("http://127.0.0.1:3000/settings/email/confirm?token=")
    assert (await client.get(ME, headers=headers)).json()["email"] == user.email

    confirmed = await client.post(CONFIRM, json={"token": mailbox.link_token(message)})
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == new_email
    assert (await client.get(ME, headers=headers)).json()["email"] == new_email
    await client.post("/api/v1/user/auth", json={"login": new_email, "password": DEFAULT_PASSWORD})


async def test_an_email_change_token_works_once(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    _, token = await _request_email_change(client, mailbox, user)
    assert (await client.post(CONFIRM, json={"token": token})).status_code == 200
    again = await client.post(CONFIRM, json={"token": token})
    assert again.status_code == 422
    assert again.json()["field"] == "token"


async def test_an_expired_email_change_token_is_refused(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    _, token = await _request_email_change(client, mailbox, user)
    await expire_token(token)
    assert (await client.post(CONFIRM, json={"token": token})).status_code == 422
    assert (await reload_user(user.id)).email == user.email


async def test_a_taken_new_email_answers_the_same_and_mails_nothing(client: httpx.AsyncClient) -> None:
    user, owner = await make_user(), await make_user()
    response = await client.patch(
        SETTINGS,
        headers=await login(client, user),
        json={"email": owner.email, "current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert await mails_to(owner.email) == 0


async def test_confirming_an_address_taken_meanwhile_is_a_409(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await make_user()
    new_email, token = await _request_email_change(client, mailbox, user)
    await make_user(email=new_email)
    response = await client.post(CONFIRM, json={"token": token})
    assert response.status_code == 409
    assert response.json()["field"] == "email"
    assert (await reload_user(user.id)).email == user.email


async def test_settings_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.patch(SETTINGS, json={"full_name": "X"})).status_code == 401


async def test_guessing_the_current_password_is_rate_limited_with_log_in(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    for _ in range(5):
        response = await client.patch(
            SETTINGS,
            headers=headers,
            json={"new_password": "another password", "current_password": "a guess!"},
        )
        assert response.status_code == 422
    response = await client.patch(
        SETTINGS,
        headers=headers,
        json={"new_password": "another password", "current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    login_attempt = await client.post(
        "/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert login_attempt.status_code == 429
