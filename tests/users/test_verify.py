"""Email verification: the mailed token, single use, expiry, and resending without enumeration."""

from __future__ import annotations

import asyncio
import secrets

import httpx

from teamsapp.core.security import token_hash
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.mail import Mailbox
from tests.fixtures.users import expire_token, reload_user, stored_token

SEND = "/api/v1/user/verify/send"
VERIFY = "/api/v1/user/verify"


async def _mailed_token(client: httpx.AsyncClient, mailbox: Mailbox, email: str) -> str:
    response = await client.post(SEND, json={"email": email})
    assert response.status_code == 202
    message = await mailbox.wait_for(to=email)
    assert mailbox.link(message).startswith("http://127.0.0.1:3000/verify?token=")
    return mailbox.link_token(message)


async def test_verify_with_the_mailed_token(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user(verified=False)
    token = await _mailed_token(client, mailbox, user.email)
    response = await client.post(VERIFY, json={"token": token, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert response.json()["is_verified"] is True
    assert (await reload_user(user.id)).is_verified


async def test_the_token_is_stored_only_as_a_hash_with_a_24_hour_life(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await make_user(verified=False)
    token = await _mailed_token(client, mailbox, user.email)
    row = await stored_token(token)
    assert row.token_hash == token_hash(token) != token
    assert 23.9 * 3600 < (row.expires_at - row.created_at).total_seconds() <= 24 * 3600


async def test_a_verification_token_works_once(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user(verified=False)
    token = await _mailed_token(client, mailbox, user.email)
    assert (await client.post(VERIFY, json={"token": token, "password": DEFAULT_PASSWORD})).status_code == 200
    again = await client.post(VERIFY, json={"token": token, "password": DEFAULT_PASSWORD})
    assert again.status_code == 422
    assert again.json()["field"] == "token"


async def test_an_expired_verification_token_is_refused(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user(verified=False)
    token = await _mailed_token(client, mailbox, user.email)
    await expire_token(token)
    response = await client.post(VERIFY, json={"token": token, "password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    assert response.json()["field"] == "token"
    assert not (await reload_user(user.id)).is_verified


async def test_an_unknown_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        VERIFY, json={"token": secrets.token_urlsafe(32), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "token"


async def test_resend_answers_the_same_for_known_and_unknown_addresses(client: httpx.AsyncClient) -> None:
    unverified, verified = await make_user(verified=False), await make_user(verified=True)
    answers = [
        await client.post(SEND, json={"email": email})
        for email in [unverified.email, verified.email, f"nobody-{secrets.token_hex(4)}@example.com"]
    ]
    assert {response.status_code for response in answers} == {202}
    assert len({response.text for response in answers}) == 1


async def test_unverified_users_can_log_in_and_verify(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user(verified=False)
    headers = await login(client, user)
    assert (await client.get("/api/v1/user/me", headers=headers)).json()["is_verified"] is False
    token = await _mailed_token(client, mailbox, user.email)
    await client.post(VERIFY, json={"token": token, "password": DEFAULT_PASSWORD})
    assert (await client.get("/api/v1/user/me", headers=headers)).json()["is_verified"] is True


async def test_a_reset_token_does_not_verify(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user(verified=False, password=DEFAULT_PASSWORD)
    await client.post("/api/v1/user/password/reset/send", json={"email": user.email})
    token = mailbox.link_token(await mailbox.wait_for(to=user.email))
    assert (await client.post(VERIFY, json={"token": token, "password": DEFAULT_PASSWORD})).status_code == 422


async def test_verify_rejects_bad_input(client: httpx.AsyncClient) -> None:
    bodies: list[dict[str, object]] = [{}, {"token": 5}, {"token": ""}, {"token": "t" * 201}]
    for body in bodies:
        response = await client.post(VERIFY, json={"password": DEFAULT_PASSWORD, **body})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "token"]
    assert (await client.post(SEND, json={"email": "nope"})).status_code == 422


async def test_two_concurrent_uses_of_one_token_let_only_one_through(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await make_user(verified=False)
    token = await _mailed_token(client, mailbox, user.email)
    answers = await asyncio.gather(
        *(client.post(VERIFY, json={"token": token, "password": DEFAULT_PASSWORD}) for _ in range(2))
    )
    assert sorted(response.status_code for response in answers) == [200, 422]
