"""GET /api/v1/user/me/export: everything about the caller, nothing secret, nothing about strangers."""

from __future__ import annotations

import json

import httpx
from sqlmodel import SQLModel, col, select

import teamsapp.models  # noqa: F401  (every table on the metadata)
from teamsapp.account import export as account_export
from teamsapp.core.db import session_scope
from teamsapp.models import Invitation, LoginSession, OneTimeToken, Role, User
from tests.factories.teams import make_invitation, make_team
from tests.factories.users import DEFAULT_PASSWORD, login, make_user

EXPORT = "/api/v1/user/me/export"


def test_every_table_that_refers_to_a_user_has_an_export_section() -> None:
    referring = {
        table.name
        for table in SQLModel.metadata.sorted_tables
        for foreign_key in table.foreign_keys
        if foreign_key.column.table.name == "user"
    }
    assert {"login_session", "membership", "audit_event", "admin_audit_event"} <= referring
    missing = (referring | {"user"}) - account_export.covered_tables()
    assert not missing, f"tables about a user with no export section: {sorted(missing)}"


async def _hashes_of(user: User) -> list[str]:
    """Every hash the database holds for the user: password, refresh tokens, mailed and invitation tokens."""
    async with session_scope() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        found = [stored.password_hash]
        found += (
            await session.exec(select(LoginSession.refresh_token_hash).where(LoginSession.user_id == user.id))
        ).all()
        found += (
            await session.exec(select(OneTimeToken.token_hash).where(OneTimeToken.user_id == user.id))
        ).all()
        found += (
            await session.exec(select(Invitation.token_hash).where(col(Invitation.created_by_id) == user.id))
        ).all()
    return found


async def test_the_export_holds_the_callers_data_and_no_secret(client: httpx.AsyncClient) -> None:
    user = await make_user(full_name="Export Me")
    teammate = await make_user(full_name="Tess Teammate")
    former = await make_user(full_name="Fern Former")
    stranger = await make_user(full_name="Stan Stranger")
    superuser = await make_user(superuser=True, full_name="Sue Super")
    team = await make_team(user, members=[(teammate, Role.MEMBER), (former, Role.MEMBER)], name="Exporters")
    await make_team(stranger, name="Strangers Only")
    await make_invitation(team, created_by=teammate, email="someone-elses-guest@example.com")
    headers = await login(client, user)
    await login(client, user)
    removed = await client.delete(f"/api/v1/team/{team.id}/user/{former.id}", headers=headers)
    assert removed.status_code == 204
    invited = await client.post(
        "/api/v1/team/invitation",
        json={"team_id": str(team.id), "role": "member", "email": "my-guest@example.com"},
        headers=headers,
    )
    assert invited.status_code == 201
    moved = await client.patch(
        "/api/v1/user/settings",
        json={"email": "export-new-address@example.com", "current_password": DEFAULT_PASSWORD},
        headers=headers,
    )
    assert moved.status_code == 200
    admin = await login(client, superuser)
    assert (
        await client.patch(f"/api/v1/admin/users/{user.id}", json={"is_verified": False}, headers=admin)
    ).status_code == 200

    response = await client.get(EXPORT, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="teamsapp-export-{user.username}.json"'
    )
    raw = response.text
    document = json.loads(raw)
    assert set(document) == {"export_version", "exported_at"} | {
        section.name for section in account_export.SECTIONS
    }
    assert document["profile"]["email"] == user.email and document["profile"]["is_verified"] is False
    assert document["appearance"] == {"theme": "system", "accent_color": "indigo"}
    assert len(document["sessions"]) == 2
    [membership] = document["memberships"]
    assert membership["role"] == "owner" and membership["team"]["name"] == "Exporters"
    assert {(m["username"], m["full_name"]) for m in membership["members"]} == {
        (user.username, "Export Me"),
        (teammate.username, "Tess Teammate"),
    }
    assert [invitation["email"] for invitation in document["invitations"]] == ["my-guest@example.com"]
    assert [event["action"] for event in document["team_audit_events"]] == [
        "member.removed",
        "invitation.created",
    ]
    assert [link["new_email"] for link in document["mailed_links"]] == ["export-new-address@example.com"]
    assert [event["action"] for event in document["admin_audit_events"]["received"]] == ["user.unverified"]
    assert document["admin_audit_events"]["done"] == []

    for secret in await _hashes_of(user):
        assert secret not in raw
    assert "token=" not in raw and "hash" not in raw.lower()
    for other in (stranger, former, superuser):
        for value in (other.email, other.username, other.full_name):
            assert value not in raw, value
    assert teammate.email not in raw
    assert "someone-elses-guest@example.com" not in raw and "Strangers Only" not in raw


async def test_the_export_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(EXPORT)).status_code == 401
