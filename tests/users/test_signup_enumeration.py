"""No route, status or counter tells whether an address has an account (SPEC 4).

A prober signs up twice, once with a fresh address and once with an address that has a confirmed
account, and then tries every follow-up they can: the returned id, the username, logging in by
username and by email, their own profile, resending and resetting, and the metrics counters. The
two sign-ups must look alike everywhere.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from prometheus_client import REGISTRY
from sqlmodel import func, select

from teamsapp.core.db import session_scope
from teamsapp.models import User
from tests.factories.users import login, make_user, new_account
from tests.fixtures.mail import Mailbox

SIGNUP = "/api/v1/user"
AUTH = "/api/v1/user/auth"
PASSWORD = "the prober's password"
COUNTERS = [
    ("teamsapp_signups_total", {}),
    ("teamsapp_mails_queued_total", {"kind": "verify_email"}),
    ("teamsapp_tokens_issued_total", {"kind": "verify_email"}),
]


async def _user_rows() -> int:
    async with session_scope() as session:
        return int((await session.exec(select(func.count()).select_from(User))).one())


async def _counts() -> list[float]:
    values = [REGISTRY.get_sample_value(name, labels) or 0.0 for name, labels in COUNTERS]
    return [*values, float(await _user_rows())]


def _shape(response: httpx.Response) -> tuple[int, Any]:
    """The status and the body with the values that differ by nature (ids, names, tokens) masked."""
    body = response.json() if response.content else None
    if isinstance(body, dict):
        masked = {"id", "email", "username", "access_token", "refresh_token"}
        body = {key: "*" if key in masked else value for key, value in body.items()}
    return response.status_code, body


async def _probe(
    client: httpx.AsyncClient, mailbox: Mailbox, viewer: dict[str, str], email: str
) -> list[Any]:
    """Everything a prober sees after signing up with `email`."""
    before = await _counts()
    body = new_account(email=email, password=PASSWORD)
    signed_up = await client.post(SIGNUP, json=body)
    after = await _counts()
    user_id = signed_up.json()["id"]
    await mailbox.wait_for(to=email, subject_contains="Confirm your email")
    by_username = await client.post(AUTH, json={"login": body["username"], "password": PASSWORD})
    me = await client.get(
        "/api/v1/user/me", headers={"Authorization": f"Bearer {by_username.json()['access_token']}"}
    )
    return [
        _shape(signed_up),
        [round(b - a, 3) for a, b in zip(before, after, strict=True)],
        _shape(await client.get(f"/api/v1/user/{user_id}", headers=viewer)),
        _shape(await client.post(SIGNUP, json=new_account(username=body["username"]))),
        _shape(by_username),
        _shape(await client.post(AUTH, json={"login": email, "password": PASSWORD})),
        _shape(me),
        _shape(await client.post("/api/v1/user/verify/send", json={"email": email})),
        _shape(await client.post("/api/v1/user/password/reset/send", json={"email": email})),
    ]


async def test_a_sign_up_with_a_taken_address_looks_like_one_with_a_fresh_address(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    viewer = await login(client, await make_user())
    owner = await make_user(email=f"owner-{secrets.token_hex(4)}@example.com")

    fresh = await _probe(client, mailbox, viewer, f"fresh-{secrets.token_hex(4)}@example.com")
    taken = await _probe(client, mailbox, viewer, owner.email)

    assert fresh == taken
    assert fresh[0][0] == 201
    # A sign-up is counted; the mail and token counters leave neutral answers out altogether.
    assert fresh[1] == [1, 0, 0, 1]
    assert fresh[2][0] == 200
    assert fresh[3][0] == 409
    assert fresh[4][0] == 200
    assert fresh[5][0] == 401
