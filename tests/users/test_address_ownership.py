"""The mailbox owner always ends in control of the account bearing their address (SPEC 4).

Attacks replayed through the REST API with the links read from the real SMTP server: an attacker
signs up first with the victim's address, keeps a session, starts an email change, and waits for
the victim to click.
"""

from __future__ import annotations

import secrets
import uuid

import httpx

from teamsapp.core.db import session_scope
from teamsapp.models import User
from teamsapp.users import service as user_service
from tests.factories.users import DEFAULT_PASSWORD, make_user, new_account
from tests.fixtures.mail import Mailbox
from tests.fixtures.users import reload_user

SIGNUP = "/api/v1/user"
AUTH = "/api/v1/user/auth"
ME = "/api/v1/user/me"
VERIFY = "/api/v1/user/verify"
ATTACKER_PASSWORD = "the attacker's password"
VICTIM_PASSWORD = "the victim's own password"


def _victim_address() -> str:
    return f"victim-{secrets.token_hex(4)}@example.com"


async def _sign_up(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    body = new_account(email=email, password=password)
    response = await client.post(SIGNUP, json=body)
    assert response.status_code == 201, response.text
    return {**body, "id": response.json()["id"]}


async def _log_in(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await client.post(AUTH, json={"login": login, "password": password})


async def _bearer(client: httpx.AsyncClient, login: str, password: str) -> dict[str, str]:
    response = await _log_in(client, login, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _confirm_link(mailbox: Mailbox, email: str) -> str:
    return mailbox.link_token(await mailbox.wait_for(to=email, subject_contains="Confirm your email"))


async def test_clicking_the_squatters_link_hands_the_account_to_the_mailbox_owner(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = _victim_address()
    squat = await _sign_up(client, email, ATTACKER_PASSWORD)
    attacker = await _bearer(client, squat["username"], ATTACKER_PASSWORD)
    attacker_mail = f"attacker-{secrets.token_hex(4)}@example.com"
    started = await client.patch(
        "/api/v1/user/settings",
        headers=attacker,
        json={"email": attacker_mail, "current_password": ATTACKER_PASSWORD},
    )
    assert started.status_code == 200
    move_token = mailbox.link_token(await mailbox.wait_for(to=attacker_mail))

    # The victim follows the link that arrived in their mailbox and is asked for the password.
    verified = await client.post(
        VERIFY, json={"token": await _confirm_link(mailbox, email), "password": VICTIM_PASSWORD}
    )

    assert verified.status_code == 200
    assert verified.json()["is_verified"] is True
    assert (await client.get(ME, headers=attacker)).status_code == 401
    assert (await _log_in(client, squat["username"], ATTACKER_PASSWORD)).status_code == 401
    assert (
        await client.post("/api/v1/user/settings/email/confirm", json={"token": move_token})
    ).status_code == 422
    assert (await reload_user(uuid.UUID(squat["id"]))).email == email
    await _bearer(client, email, VICTIM_PASSWORD)


async def test_the_victims_own_sign_up_wins_and_removes_the_squat(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = _victim_address()
    squat = await _sign_up(client, email, ATTACKER_PASSWORD)
    attacker = await _bearer(client, squat["username"], ATTACKER_PASSWORD)
    await _confirm_link(mailbox, email)  # the squatter's mail, which the victim ignores
    own = await _sign_up(client, email, VICTIM_PASSWORD)

    verified = await client.post(
        VERIFY, json={"token": await _confirm_link(mailbox, email), "password": VICTIM_PASSWORD}
    )

    assert verified.status_code == 200
    assert verified.json()["id"] == own["id"]
    assert (await client.get(ME, headers=attacker)).status_code == 401
    assert (await _log_in(client, squat["username"], ATTACKER_PASSWORD)).status_code == 401
    me = await client.get(ME, headers=await _bearer(client, email, VICTIM_PASSWORD))
    assert me.json()["id"] == own["id"]


async def test_a_resent_link_for_the_squat_needs_the_victims_password_too(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = _victim_address()
    squat = await _sign_up(client, email, ATTACKER_PASSWORD)
    await _confirm_link(mailbox, email)
    assert (await client.post(f"{VERIFY}/send", json={"email": email})).status_code == 202

    verified = await client.post(
        VERIFY, json={"token": await _confirm_link(mailbox, email), "password": VICTIM_PASSWORD}
    )

    assert verified.status_code == 200
    assert (await _log_in(client, email, ATTACKER_PASSWORD)).status_code == 401
    assert (await _log_in(client, squat["username"], ATTACKER_PASSWORD)).status_code == 401
    await _bearer(client, email, VICTIM_PASSWORD)


async def test_the_one_who_signed_up_confirms_with_their_password_and_keeps_their_sessions(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = _victim_address()
    account = await _sign_up(client, email, DEFAULT_PASSWORD)
    session = await _bearer(client, account["username"], DEFAULT_PASSWORD)

    verified = await client.post(
        VERIFY, json={"token": await _confirm_link(mailbox, email), "password": DEFAULT_PASSWORD}
    )

    assert verified.status_code == 200
    assert (await client.get(ME, headers=session)).json()["is_verified"] is True


async def test_a_confirmed_address_cannot_be_confirmed_again_by_another_account(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    owner = await make_user(email=_victim_address())
    late = await _sign_up(client, owner.email, ATTACKER_PASSWORD)

    refused = await client.post(
        VERIFY, json={"token": await _confirm_link(mailbox, owner.email), "password": VICTIM_PASSWORD}
    )

    assert refused.status_code == 409
    assert not (await reload_user(uuid.UUID(late["id"]))).is_verified
    await _bearer(client, owner.email, DEFAULT_PASSWORD)


async def test_verify_needs_a_valid_password(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    email = _victim_address()
    await _sign_up(client, email, DEFAULT_PASSWORD)
    token = await _confirm_link(mailbox, email)
    for body in [{"token": token}, {"token": token, "password": "short"}]:
        response = await client.post(VERIFY, json=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "password"]


async def test_a_logged_in_resend_mails_the_link_of_ones_own_account(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = _victim_address()
    own = await _sign_up(client, email, VICTIM_PASSWORD)
    await _confirm_link(mailbox, email)
    await _sign_up(client, email, ATTACKER_PASSWORD)  # a newer account naming the same address
    await _confirm_link(mailbox, email)

    # What the teams page's "send a new link" does for the logged-in user.
    async with session_scope() as session:
        actor = await session.get(User, uuid.UUID(own["id"]))
        assert actor is not None
        await user_service.send_own_verification(session, actor=actor)
    verified = await client.post(
        VERIFY, json={"token": await _confirm_link(mailbox, email), "password": VICTIM_PASSWORD}
    )

    assert verified.status_code == 200
    assert verified.json()["id"] == own["id"]
