"""Recovery wins (SPEC 4): a reset, a new password or a new address ends what the old one started.

Each test replays an attacker who knows the victim's password, through the REST API, with the links
read from the mails the real SMTP server received.
"""

from __future__ import annotations

import secrets

import httpx

from teamsapp.models import User
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.mail import Mailbox
from tests.fixtures.users import reload_user

SETTINGS = "/api/v1/user/settings"
CONFIRM = "/api/v1/user/settings/email/confirm"
RESET_SEND = "/api/v1/user/password/reset/send"
RESET = "/api/v1/user/password/reset"
VERIFY = "/api/v1/user/verify"
NEW_PASSWORD = "the victim's new password"


def _address(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}@example.com"


async def _attacker_starts_email_change(client: httpx.AsyncClient, mailbox: Mailbox, victim: User) -> str:
    """The attacker logs in with the known password and moves the account to their mailbox; the link."""
    attacker_mail = _address("attacker")
    response = await client.patch(
        SETTINGS,
        headers=await login(client, victim),
        json={"email": attacker_mail, "current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    return mailbox.link_token(await mailbox.wait_for(to=attacker_mail, subject_contains="new email"))


async def _reset_through_the_mailbox(client: httpx.AsyncClient, mailbox: Mailbox, email: str) -> None:
    assert (await client.post(RESET_SEND, json={"email": email})).status_code == 202
    token = mailbox.link_token(await mailbox.wait_for(to=email, subject_contains="Reset"))
    assert (await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})).status_code == 204


async def _reset(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(RESET, json={"token": token, "password": "the attacker's pick"})


async def test_a_reset_cancels_the_attackers_pending_email_change(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    victim = await make_user(email=_address("victim"))
    change_token = await _attacker_starts_email_change(client, mailbox, victim)
    await _reset_through_the_mailbox(client, mailbox, victim.email)

    confirmed = await client.post(CONFIRM, json={"token": change_token})

    assert confirmed.status_code == 422
    assert confirmed.json()["field"] == "token"
    assert (await reload_user(victim.id)).email == victim.email
    await login(client, victim, password=NEW_PASSWORD)


async def test_a_reset_cancels_every_other_mailed_link(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    victim = await make_user(email=_address("victim"), verified=False)
    assert (await client.post(f"{VERIFY}/send", json={"email": victim.email})).status_code == 202
    verify_token = mailbox.link_token(await mailbox.wait_for(to=victim.email, subject_contains="Confirm"))
    assert (await client.post(RESET_SEND, json={"email": victim.email})).status_code == 202
    other_reset = mailbox.link_token(await mailbox.wait_for(to=victim.email, subject_contains="Reset"))
    await _reset_through_the_mailbox(client, mailbox, victim.email)

    assert (await _reset(client, other_reset)).status_code == 422
    verified = await client.post(VERIFY, json={"token": verify_token, "password": NEW_PASSWORD})
    assert verified.status_code == 422
    assert verified.json()["field"] == "token"


async def test_a_password_change_cancels_pending_email_changes_and_reset_links(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    victim = await make_user(email=_address("victim"))
    change_token = await _attacker_starts_email_change(client, mailbox, victim)
    assert (await client.post(RESET_SEND, json={"email": victim.email})).status_code == 202
    reset_token = mailbox.link_token(await mailbox.wait_for(to=victim.email, subject_contains="Reset"))

    changed = await client.patch(
        SETTINGS,
        headers=await login(client, victim),
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200

    assert (await client.post(CONFIRM, json={"token": change_token})).status_code == 422
    assert (await _reset(client, reset_token)).status_code == 422
    assert (await reload_user(victim.id)).email == victim.email
    await login(client, victim, password=NEW_PASSWORD)


async def test_a_confirmed_email_change_is_announced_to_the_old_address_and_ends_its_links(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await make_user(email=_address("old"))
    assert (await client.post(RESET_SEND, json={"email": user.email})).status_code == 202
    reset_token = mailbox.link_token(await mailbox.wait_for(to=user.email, subject_contains="Reset"))
    new_email = _address("new")
    response = await client.patch(
        SETTINGS,
        headers=await login(client, user),
        json={"email": new_email, "current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    change_token = mailbox.link_token(await mailbox.wait_for(to=new_email, subject_contains="new email"))
    assert (await client.post(CONFIRM, json={"token": change_token})).status_code == 200

    notice = await mailbox.wait_for(to=user.email, subject_contains="email address of your teamsapp account")
    text = mailbox.text(notice)
    assert user.email in text
    assert new_email in text
    assert new_email not in str(notice["To"])
    assert (await _reset(client, reset_token)).status_code == 422
