"""Password reset: mailed link, single use, one-hour expiry, every session ends, no enumeration."""

from __future__ import annotations

import secrets

import httpx

from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.mail import Mailbox
from tests.fixtures.users import expire_token, login_sessions, stored_token

SEND = "/api/v1/user/password/reset/send"
RESET = "/api/v1/user/password/reset"
NEW_PASSWORD = "a completely new password"


async def _mailed_token(client: httpx.AsyncClient, mailbox: Mailbox, email: str) -> str:
    assert (await client.post(SEND, json={"email": email})).status_code == 202
    message = await mailbox.wait_for(to=email)
    assert mailbox.link(message).startswith("http://127.0.0.1:3000/reset-password?token=")
    return mailbox.link_token(message)


async def test_reset_end_to_end_through_the_mail(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    token = await _mailed_token(client, mailbox, user.email)
    assert (await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})).status_code == 204
    old = await client.post("/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert old.status_code == 401
    await login(client, user, password=NEW_PASSWORD)


async def test_a_reset_token_lives_one_hour(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    row = await stored_token(await _mailed_token(client, mailbox, user.email))
    assert 3590 < (row.expires_at - row.created_at).total_seconds() <= 3600


async def test_a_reset_ends_every_session(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    sessions = [await login(client, user) for _ in range(2)]
    token = await _mailed_token(client, mailbox, user.email)
    await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
    for headers in sessions:
        assert (await client.get("/api/v1/user/me", headers=headers)).status_code == 401
    assert all(row.revoked_at is not None for row in await login_sessions(user.id))


async def test_a_reset_token_works_once(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    token = await _mailed_token(client, mailbox, user.email)
    assert (await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})).status_code == 204
    again = await client.post(RESET, json={"token": token, "password": "yet another password"})
    assert again.status_code == 422
    assert again.json()["field"] == "token"
    await login(client, user, password=NEW_PASSWORD)


async def test_a_reset_makes_older_reset_links_useless(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    first = await _mailed_token(client, mailbox, user.email)
    second = await _mailed_token(client, mailbox, user.email)
    assert (await client.post(RESET, json={"token": second, "password": NEW_PASSWORD})).status_code == 204
    assert (
        await client.post(RESET, json={"token": first, "password": "yet another password"})
    ).status_code == 422


async def test_an_expired_reset_token_is_refused(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    token = await _mailed_token(client, mailbox, user.email)
    await expire_token(token)
    response = await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 422
    await login(client, user)


async def test_reset_send_answers_the_same_for_unknown_addresses(client: httpx.AsyncClient) -> None:
    user = await make_user()
    known = await client.post(SEND, json={"email": user.email})
    unknown = await client.post(SEND, json={"email": f"nobody-{secrets.token_hex(4)}@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.headers["content-length"] == unknown.headers["content-length"]


async def test_a_new_password_over_72_bytes_is_a_422_and_keeps_the_token(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await make_user()
    token = await _mailed_token(client, mailbox, user.email)
    response = await client.post(RESET, json={"token": token, "password": "€" * 25})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    assert (await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})).status_code == 204


async def test_reset_rejects_bad_input(client: httpx.AsyncClient) -> None:
    for body, field in [
        ({"token": "t"}, "password"),
        ({"password": NEW_PASSWORD}, "token"),
        ({"token": "t", "password": "short"}, "password"),
    ]:
        response = await client.post(RESET, json=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]
