"""DELETE /api/v1/user/me: sole-member teams go, other teams are left (audited), last owners are refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlmodel import col, select

from teamsapp.account.service import DELETED_USER
from teamsapp.core.db import session_scope
from teamsapp.models import AuditEvent, Invitation, LoginSession, OutboxMail, Role, Team, User
from tests.factories.teams import make_invitation, make_team
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.teams import audit_trail, roles, snapshot
from tests.fixtures.users import login_sessions

ME = "/api/v1/user/me"


async def _delete(
    client: httpx.AsyncClient, headers: dict[str, str], password: str = DEFAULT_PASSWORD
) -> httpx.Response:
    return await client.request("DELETE", ME, headers=headers, json={"current_password": password})


async def _exists(model: Any, row_id: uuid.UUID) -> bool:
    async with session_scope() as session:
        return await session.get(model, row_id) is not None


async def test_sole_member_team_is_deleted_with_the_account(client: httpx.AsyncClient) -> None:
    user = await make_user()
    team = await make_team(user)
    await make_invitation(team, created_by=user)
    headers = await login(client, user)
    other_device = await login(client, user)

    response = await _delete(client, headers)

    assert response.status_code == 204, response.text
    assert not await _exists(User, user.id)
    assert not await _exists(Team, team.id)
    assert await snapshot(team.id) == {"team": [], "memberships": [], "invitations": [], "audit": []}
    assert await login_sessions(user.id) == []
    for used in (headers, other_device):
        assert (await client.get("/api/v1/user/me", headers=used)).status_code == 401
    refused = await client.post("/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 401
    async with session_scope() as session:
        mails = (await session.exec(select(OutboxMail).where(OutboxMail.to_address == user.email))).all()
    assert [mail.kind for mail in mails] == ["account_deleted"]


async def test_last_owner_of_a_team_with_others_is_refused_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    user, colleague = await make_user(), await make_user()
    blocking = await make_team(user, members=[(colleague, Role.ADMIN)], name="Blocking Bees")
    also_blocking = await make_team(user, members=[(colleague, Role.MEMBER)], name="Other Otters")
    alone = await make_team(user, name="Solo")
    shared = await make_team(colleague, members=[(user, Role.MEMBER)], name="Shared")
    headers = await login(client, user)
    before = {team.id: await snapshot(team.id) for team in (blocking, also_blocking, alone, shared)}

    response = await _delete(client, headers)

    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert "Blocking Bees" in detail and "Other Otters" in detail
    assert "Solo" not in detail and "Shared" not in detail
    assert {team_id: await snapshot(team_id) for team_id in before} == before
    assert await _exists(User, user.id)
    assert (await client.get("/api/v1/user/me", headers=headers)).status_code == 200
    async with session_scope() as session:
        mails = (await session.exec(select(OutboxMail).where(OutboxMail.to_address == user.email))).all()
    assert mails == []


async def test_a_co_owner_leaves_audited_and_keeps_their_history(client: httpx.AsyncClient) -> None:
    user, other_owner = await make_user(), await make_user()
    team = await make_team(other_owner, members=[(user, Role.OWNER)])
    invitation, _ = await make_invitation(team, created_by=user)
    headers = await login(client, user)
    renamed = await client.put(f"/api/v1/team/{team.id}/settings", json={"name": "Renamed"}, headers=headers)
    assert renamed.status_code == 200

    assert (await _delete(client, headers)).status_code == 204

    assert await roles(team.id) == {other_owner.id: Role.OWNER}
    trail = await audit_trail(team.id)
    assert [(event.action, event.subject_id) for event in trail] == [
        ("team.updated", team.id),
        ("member.left", user.id),
    ]
    # The entries stay, no longer pointing at a row that is gone, under the name of a deleted user.
    assert all(event.actor_id is None and event.actor_name == DELETED_USER for event in trail)
    assert not await _exists(Invitation, invitation.id)
    owner_headers = await login(client, other_owner)
    log = (await client.get(f"/api/v1/team/{team.id}/audit", headers=owner_headers)).json()
    assert [(item["action"], item["actor_id"], item["actor_username"]) for item in log["items"]] == [
        ("member.left", None, DELETED_USER),
        ("team.updated", None, DELETED_USER),
    ]


async def test_a_plain_member_leaves_and_the_team_stays(client: httpx.AsyncClient) -> None:
    user, owner = await make_user(), await make_user()
    team = await make_team(owner, members=[(user, Role.MEMBER)])
    headers = await login(client, user)

    assert (await _delete(client, headers)).status_code == 204

    assert await roles(team.id) == {owner.id: Role.OWNER}
    [left] = await audit_trail(team.id)
    assert (left.action, left.subject_id, left.details) == ("member.left", user.id, {"role": "member"})
    owner_view = await client.get(f"/api/v1/team/{team.id}", headers=await login(client, owner))
    assert [member["user_id"] for member in owner_view.json()["members"]] == [str(owner.id)]


async def test_a_wrong_password_is_refused_and_counts_as_a_failed_log_in(client: httpx.AsyncClient) -> None:
    user = await make_user()
    team = await make_team(user)
    headers = await login(client, user)

    response = await _delete(client, headers, password="not my password")

    assert response.status_code == 422
    assert response.json()["field"] == "current_password"
    assert await _exists(User, user.id) and await _exists(Team, team.id)
    assert len([s for s in await login_sessions(user.id) if s.revoked_at is None]) == 1
    for _ in range(4):
        await _delete(client, headers, password="still not it")
    locked = await _delete(client, headers)
    assert locked.status_code == 429
    assert await _exists(User, user.id)


async def test_bad_bodies_and_no_token(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    assert (
        await client.request("DELETE", ME, json={"current_password": DEFAULT_PASSWORD})
    ).status_code == 401
    for body in ({}, {"current_password": ""}, {"current_password": DEFAULT_PASSWORD, "extra": 1}):
        response = await client.request("DELETE", ME, headers=headers, json=body)
        assert response.status_code == 422, body
    long_code = {"current_password": DEFAULT_PASSWORD, "code": "1" * 65}
    assert (await client.request("DELETE", ME, headers=headers, json=long_code)).status_code == 422
    assert await _exists(User, user.id)


async def test_the_code_field_is_accepted(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    body = {"current_password": DEFAULT_PASSWORD, "code": "123456"}
    assert (await client.request("DELETE", ME, headers=headers, json=body)).status_code == 204


async def test_sessions_of_the_deleted_user_are_gone_not_just_revoked(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    assert (await _delete(client, headers)).status_code == 204
    async with session_scope() as session:
        rows = await session.exec(select(LoginSession).where(col(LoginSession.user_id) == user.id))
        assert rows.all() == []
        events = await session.exec(select(AuditEvent).where(col(AuditEvent.actor_id) == user.id))
        assert events.all() == []
