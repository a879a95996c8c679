"""Personal API tokens over REST: create (secret once), list, revoke, expiry, reset, hash at rest."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import httpx
import pytest
from sqlalchemy import delete, text, update
from sqlmodel import col

from teamsapp.auth import cache as access_cache
from teamsapp.core.db import session_scope
from teamsapp.core.security import token_hash
from teamsapp.models import ApiToken, User
from teamsapp.models.base import utcnow
from tests.factories.api_tokens import bearer, make_api_token
from tests.factories.users import login, make_user
from tests.fixtures.mail import Mailbox
from tests.personal_tokens.helpers import token_row, token_rows

TOKENS = "/api/v1/user/tokens"
ME = "/api/v1/user/me"


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> httpx.Response:
    return await client.post(TOKENS, json={"name": "ci", "scopes": ["user:read"], **body}, headers=headers)


async def test_create_answers_the_secret_once_and_the_list_never(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)

    response = await _create(client, headers, scopes=["teams:write", "user:read", "user:read"])

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {
        "id",
        "name",
        "scopes",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "token",
    }
    assert created["token"].startswith("tap_") and len(created["token"]) > 40
    assert created["prefix"] == created["token"][4:12]
    assert created["scopes"] == ["user:read", "teams:write"]
    assert created["last_used_at"] is None
    lifetime = dt.datetime.fromisoformat(created["expires_at"]) - dt.datetime.fromisoformat(
        created["created_at"]
    )
    assert lifetime == dt.timedelta(days=90)
    listed = (await client.get(TOKENS, headers=headers)).json()
    assert listed == [{key: value for key, value in created.items() if key != "token"}]
    assert created["token"] not in str(listed)


async def test_the_list_is_newest_first_and_only_the_callers(client: httpx.AsyncClient) -> None:
    user, other = await make_user(), await make_user()
    await make_api_token(other, name="not yours")
    headers = await login(client, user)
    for name in ("first", "second", "third"):
        assert (await _create(client, headers, name=name)).status_code == 201

    names = [item["name"] for item in (await client.get(TOKENS, headers=headers)).json()]

    assert names == ["third", "second", "first"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"expires_in_days": "soon"}, "expires_in_days"),
        ({"scopes": ["admin"]}, "scopes"),
        ({"scopes": "user:read"}, "scopes"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "nul\x00"}, "name"),
        ({"owner": "someone"}, "owner"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    user = await make_user()
    headers = await login(client, user)

    response = await _create(client, headers, **body)

    assert response.status_code == 422
    assert any(field in issue["loc"] for issue in response.json()["detail"])
    assert await token_rows(user.id) == []


async def test_lifetime_bounds(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    for days in (1, 365):
        created = (await _create(client, headers, expires_in_days=days)).json()
        lifetime = dt.datetime.fromisoformat(created["expires_at"]) - dt.datetime.fromisoformat(
            created["created_at"]
        )
        assert lifetime == dt.timedelta(days=days)


async def test_a_token_calls_the_api_and_revoking_it_stops_it_at_once(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    created = (await _create(client, headers)).json()

    me = await client.get(ME, headers=bearer(created["token"]))
    assert (me.status_code, me.json()["id"]) == (200, str(user.id))

    assert (await client.delete(f"{TOKENS}/{created['id']}", headers=headers)).status_code == 204
    after = await client.get(ME, headers=bearer(created["token"]))
    assert after.status_code == 401
    assert "not valid" in after.json()["detail"]
    assert (await client.get(TOKENS, headers=headers)).json() == []
    assert (await client.delete(f"{TOKENS}/{created['id']}", headers=headers)).status_code == 404


async def test_another_users_token_id_is_a_404_and_the_token_lives_on(client: httpx.AsyncClient) -> None:
    owner, stranger = await make_user(), await make_user()
    theirs = await make_api_token(owner)
    headers = await login(client, stranger)

    response = await client.delete(f"{TOKENS}/{theirs.id}", headers=headers)
    unknown = await client.delete(f"{TOKENS}/{uuid.uuid4()}", headers=headers)

    assert response.status_code == 404
    assert unknown.json() == response.json(), "a 404 told an existing token from a missing one"
    assert await token_row(theirs.id) is not None
    assert (await client.get(ME, headers=bearer(theirs.token))).status_code == 200


async def test_a_made_up_or_tampered_token_is_a_401(client: httpx.AsyncClient) -> None:
    real = await make_api_token(await make_user())
    tampered = real.token[:-1] + ("A" if real.token[-1] != "A" else "B")
    for token in ("tap_", "tap_" + "x" * 43, tampered):
        assert (await client.get(ME, headers=bearer(token))).status_code == 401


async def test_an_expired_token_is_refused(client: httpx.AsyncClient) -> None:
    user = await make_user()
    created = await make_api_token(user)
    assert (await client.get(ME, headers=bearer(created.token))).status_code == 200
    async with session_scope() as session:
        await session.exec(
            update(ApiToken)
            .where(col(ApiToken.id) == created.id)
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        # A change made behind the services' back must say so to the workers' access caches.
        access_cache.invalidate(session, user_id=user.id)

    response = await client.get(ME, headers=bearer(created.token))

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_a_password_reset_revokes_every_token(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    user = await make_user()
    tokens = [await make_api_token(user), await make_api_token(user)]
    bystander = await make_api_token(await make_user())
    assert (
        await client.post("/api/v1/user/password/reset/send", json={"email": user.email})
    ).status_code == 202
    reset = mailbox.link_token(await mailbox.wait_for(to=user.email))

    response = await client.post(
        "/api/v1/user/password/reset", json={"token": reset, "password": "new password 1"}
    )

    assert response.status_code == 204
    for created in tokens:
        assert (await client.get(ME, headers=bearer(created.token))).status_code == 401
    assert await token_rows(user.id) == []
    assert (await client.get(ME, headers=bearer(bystander.token))).status_code == 200


async def test_deleting_a_user_deletes_their_tokens(client: httpx.AsyncClient) -> None:
    user = await make_user()
    created = await make_api_token(user)
    async with session_scope() as session:
        await session.exec(delete(User).where(col(User.id) == user.id))

    assert await token_row(created.id) is None
    assert (await client.get(ME, headers=bearer(created.token))).status_code == 401


async def test_the_secret_is_not_in_the_database() -> None:
    user = await make_user()
    created = await make_api_token(user)
    secret = created.token.removeprefix("tap_")

    async with session_scope() as session:
        connection = await session.connection()
        rows = await connection.execute(text("SELECT * FROM api_token WHERE user_id = :id"), {"id": user.id})
        dump = str(rows.all())

    assert secret not in dump and secret[8:20] not in dump
    row = await token_row(created.id)
    assert row is not None and row.prefix == secret[:8]
    # Keyed, and with a key of its own: neither a plain hash nor the app's other token hash.
    assert row.token_hash != hashlib.sha256(created.token.encode()).hexdigest()
    assert row.token_hash != token_hash(created.token)


def test_logs_redact_a_token_wherever_it_appears() -> None:
    from teamsapp.observability.logging import RedactingFilter

    token = "tap_" + "Ab3-_" * 9
    line = RedactingFilter().redact(f"client sent {token} as a query value?x={token}")
    assert token[4:] not in line and "tap_***" in line
