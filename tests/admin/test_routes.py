"""The admin routes (SPEC 14): superusers only, self-protection, deactivation, sessions, the audit log."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from teamsapp.api import api
from teamsapp.auth.service import ACCOUNT_DISABLED
from teamsapp.core.db import session_scope
from teamsapp.models import User
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.users import login_sessions, reload_user

ADMIN = "/api/v1/admin"


def _admin_operations() -> list[tuple[str, str]]:
    """Every admin operation of the app, read from its routes (a new one is checked without a line here)."""
    return [
        (method.upper(), path)
        for path, operations in api.openapi()["paths"].items()
        if path.startswith(ADMIN)
        for method in operations
    ]


def test_the_admin_operations_are_the_four_of_spec_14() -> None:
    assert sorted(_admin_operations()) == [
        ("DELETE", "/api/v1/admin/users/{user_id}/sessions"),
        ("GET", "/api/v1/admin/audit"),
        ("GET", "/api/v1/admin/users"),
        ("PATCH", "/api/v1/admin/users/{user_id}"),
    ]


async def _call(
    client: httpx.AsyncClient, method: str, path: str, target: uuid.UUID, headers: dict[str, str] | None
) -> httpx.Response:
    body = {"is_active": False} if method == "PATCH" else None
    return await client.request(method, path.replace("{user_id}", str(target)), json=body, headers=headers)


@pytest.mark.parametrize("verified", [True, False])
async def test_everyone_but_a_superuser_gets_403_and_nothing_changes(
    client: httpx.AsyncClient, verified: bool
) -> None:
    target = await make_user()
    target_headers = await login(client, target)
    headers = await login(client, await make_user(verified=verified))
    for method, path in _admin_operations():
        response = await _call(client, method, path, target.id, headers)
        assert response.status_code == 403, (method, path, response.text)
        assert (await _call(client, method, path, target.id, None)).status_code == 401, (method, path)
    assert (await reload_user(target.id)).is_active
    assert (await client.get("/api/v1/user/me", headers=target_headers)).status_code == 200


async def test_search_matches_email_username_or_full_name_in_any_case(client: httpx.AsyncClient) -> None:
    tag = secrets.token_hex(3)
    by_email = await make_user(email=f"Zed-{tag}-mail@example.com".lower())
    by_username = await make_user(username=f"zed_{tag}_name")
    by_full_name = await make_user(full_name=f"Zed {tag.upper()} Person")
    await make_user(full_name="Somebody Else")
    headers = await login(client, await make_user(superuser=True))

    found = await client.get(f"{ADMIN}/users", params={"q": tag.upper()}, headers=headers)

    assert found.status_code == 200
    page = found.json()
    assert page["total"] == 3 and page["limit"] == 20 and page["offset"] == 0
    assert {item["id"] for item in page["items"]} == {
        str(u.id) for u in (by_email, by_username, by_full_name)
    }
    assert set(page["items"][0]) == {
        "id",
        "email",
        "username",
        "full_name",
        "is_verified",
        "is_active",
        "is_superuser",
        "created_at",
        "last_seen_at",
        "two_factor_enabled",
    }
    first = (await client.get(f"{ADMIN}/users", params={"q": tag, "limit": 2}, headers=headers)).json()
    second = (
        await client.get(f"{ADMIN}/users", params={"q": tag, "limit": 2, "offset": 2}, headers=headers)
    ).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["total"] == 3
    assert {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]} == {
        str(u.id) for u in (by_email, by_username, by_full_name)
    }
    wildcard = (await client.get(f"{ADMIN}/users", params={"q": f"%{tag}"}, headers=headers)).json()
    assert wildcard["total"] == 0
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"q": "x" * 255}):
        assert (await client.get(f"{ADMIN}/users", params=bad, headers=headers)).status_code == 422, bad


async def test_deactivation_ends_sessions_and_log_in_says_disabled_only_after_a_right_password(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    user_headers = await login(client, user)
    headers = await login(client, await make_user(superuser=True))

    changed = await client.patch(f"{ADMIN}/users/{user.id}", json={"is_active": False}, headers=headers)

    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert (await client.get("/api/v1/user/me", headers=user_headers)).status_code == 401
    assert all(session.revoked_at is not None for session in await login_sessions(user.id))
    right = await client.post("/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert right.status_code == 403 and right.json()["detail"] == ACCOUNT_DISABLED
    assert "account disabled" in ACCOUNT_DISABLED.lower()
    wrong = await client.post("/api/v1/user/auth", json={"login": user.email, "password": "not the password"})
    nobody = await client.post(
        "/api/v1/user/auth",
        json={"login": f"nobody-{secrets.token_hex(4)}@example.com", "password": "x" * 10},
    )
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json()

    again = await client.patch(f"{ADMIN}/users/{user.id}", json={"is_active": True}, headers=headers)
    assert again.status_code == 200 and again.json()["is_active"] is True
    await login(client, user)


async def test_a_superuser_cannot_deactivate_or_demote_themselves(client: httpx.AsyncClient) -> None:
    superuser = await make_user(superuser=True)
    headers = await login(client, superuser)
    before = (await client.get(f"{ADMIN}/audit", headers=headers)).json()["total"]
    for body, field in (({"is_active": False}, "is_active"), ({"is_superuser": False}, "is_superuser")):
        refused = await client.patch(
            f"{ADMIN}/users/{superuser.id}", json={**body, "is_verified": False}, headers=headers
        )
        assert refused.status_code == 409 and refused.json()["field"] == field
    stored = await reload_user(superuser.id)
    assert stored.is_active and stored.is_superuser and stored.is_verified
    assert (await client.get(f"{ADMIN}/audit", headers=headers)).json()["total"] == before
    # Harmless changes to oneself are allowed.
    assert (
        await client.patch(f"{ADMIN}/users/{superuser.id}", json={"is_active": True}, headers=headers)
    ).status_code == 200


async def test_two_superusers_demoting_each_other_at_once_leave_one(client: httpx.AsyncClient) -> None:
    first, second = await make_user(superuser=True), await make_user(superuser=True)
    first_headers, second_headers = await login(client, first), await login(client, second)
    answers = await asyncio.gather(
        client.patch(f"{ADMIN}/users/{second.id}", json={"is_superuser": False}, headers=first_headers),
        client.patch(f"{ADMIN}/users/{first.id}", json={"is_superuser": False}, headers=second_headers),
    )
    assert sorted(answer.status_code for answer in answers) == [200, 403]
    assert [(await reload_user(u.id)).is_superuser for u in (first, second)].count(True) == 1


async def test_ending_a_users_sessions_and_the_audit_log(client: httpx.AsyncClient) -> None:
    superuser, user = await make_user(superuser=True), await make_user()
    headers = await login(client, superuser)
    user_headers = await login(client, user)

    assert (await client.delete(f"{ADMIN}/users/{user.id}/sessions", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/user/me", headers=user_headers)).status_code == 401
    await login(client, user)  # ending sessions is not a ban
    changed = await client.patch(
        f"{ADMIN}/users/{user.id}", json={"is_verified": False, "is_superuser": True}, headers=headers
    )
    assert changed.status_code == 200
    noop = await client.patch(f"{ADMIN}/users/{user.id}", json={"is_superuser": True}, headers=headers)
    assert noop.status_code == 200

    log = (await client.get(f"{ADMIN}/audit", params={"limit": 3}, headers=headers)).json()
    assert log["limit"] == 3 and log["offset"] == 0 and log["total"] >= 3
    mine = [item for item in log["items"] if item["target_id"] == str(user.id)]
    assert [(item["action"], item["details"]) for item in mine] == [
        ("user.superuser_granted", {"changes": {"is_superuser": {"from": False, "to": True}}}),
        ("user.unverified", {"changes": {"is_verified": {"from": True, "to": False}}}),
        ("user.sessions_ended", {"sessions_ended": 1}),
    ]
    for item in mine:
        assert item["actor_id"] == str(superuser.id) and item["actor_username"] == superuser.username
        assert item["target_username"] == user.username and item["created_at"]


async def test_unknown_users_and_bad_bodies(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user(superuser=True))
    unknown = uuid.uuid4()
    assert (
        await client.patch(f"{ADMIN}/users/{unknown}", json={"is_active": False}, headers=headers)
    ).status_code == 404
    assert (await client.delete(f"{ADMIN}/users/{unknown}/sessions", headers=headers)).status_code == 404
    user = await make_user()
    for body in (
        {"is_active": "maybe"},
        {"is_superuser": 0},
        {"is_verified": "true"},
        {"is_admin": True},
        [1],
    ):
        response = await client.patch(f"{ADMIN}/users/{user.id}", json=body, headers=headers)
        assert response.status_code == 422, body
    assert (await client.patch(f"{ADMIN}/users/not-an-id", json={}, headers=headers)).status_code == 422


async def test_a_deactivated_superuser_is_refused_at_once(client: httpx.AsyncClient) -> None:
    first, second = await make_user(superuser=True), await make_user(superuser=True)
    second_headers = await login(client, second)
    first_headers = await login(client, first)
    assert (
        await client.patch(f"{ADMIN}/users/{second.id}", json={"is_active": False}, headers=first_headers)
    ).status_code == 200
    assert (await client.get(f"{ADMIN}/users", headers=second_headers)).status_code == 401


async def test_the_access_check_refuses_an_inactive_user_whatever_their_sessions(
    client: httpx.AsyncClient,
) -> None:
    # Deactivation also revokes the sessions; this proves the per-request check holds on its own
    # (a log-in that raced the deactivation opened a session after it).
    user = await make_user()
    headers = await login(client, user)
    async with session_scope() as session:
        await session.exec(update(User).where(col(User.id) == user.id).values(is_active=False))
    refused = await client.get("/api/v1/user/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["detail"] == ACCOUNT_DISABLED
