"""The team service: creating, reading, editing and deleting teams; roles, removals and leaving."""

from __future__ import annotations

import asyncio
import functools
import uuid

import pytest
from sqlmodel import col, select

from teamsapp.core import events
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Conflict, NotFound, PermissionDenied
from teamsapp.models import AuditEvent, Invitation, Membership, Role, Team
from teamsapp.teams import service as team_service
from teamsapp.teams.schemas import TeamCreate, TeamSettingsUpdate, TeamUpdate
from tests.factories.teams import make_invitation, make_team
from tests.factories.users import make_user
from tests.fixtures.teams import audit_trail, in_transaction, roles, snapshot

OWNER, ADMIN, MEMBER = Role.OWNER, Role.ADMIN, Role.MEMBER


async def test_creator_becomes_owner_and_creation_is_audited() -> None:
    user = await make_user(full_name="Ada Lovelace")
    team = await in_transaction(
        team_service.create_team, actor=user, data=TeamCreate(name="  Engines  ", description="Analytical")
    )
    assert team.name == "Engines"
    assert team.role is OWNER
    assert [(m.user_id, m.role) for m in team.members] == [(user.id, OWNER)]
    assert team.default_role is MEMBER
    assert team.invitation_ttl_hours == 72
    [event] = await audit_trail(team.id)
    assert (event.action, event.actor_id, event.subject_id) == ("team.created", user.id, team.id)


async def test_unverified_users_cannot_create_teams() -> None:
    user = await make_user(verified=False)
    with pytest.raises(PermissionDenied, match="Verify your email"):
        await in_transaction(team_service.create_team, actor=user, data=TeamCreate(name="Nope"))
    assert await in_transaction(team_service.list_teams, actor=user) == []


async def test_get_team_shows_members_and_the_callers_role_to_members_only() -> None:
    owner, admin, member, outsider = [await make_user() for _ in range(4)]
    team = await make_team(owner, members=[(admin, ADMIN), (member, MEMBER)])
    seen = await in_transaction(team_service.get_team, actor=member, team_id=team.id)
    assert seen.role is MEMBER
    assert [(m.user_id, m.role) for m in seen.members] == [
        (owner.id, OWNER),
        (admin.id, ADMIN),
        (member.id, MEMBER),
    ]
    with pytest.raises(NotFound, match="Team not found"):
        await in_transaction(team_service.get_team, actor=outsider, team_id=team.id)
    with pytest.raises(NotFound, match="Team not found"):
        await in_transaction(team_service.get_team, actor=owner, team_id=uuid.uuid4())


async def test_list_teams_gives_the_callers_teams_with_their_role() -> None:
    alice, bob = await make_user(), await make_user()
    first = await make_team(alice, name="B team")
    second = await make_team(bob, members=[(alice, ADMIN)], name="a team")
    await make_team(bob)
    listed = await in_transaction(team_service.list_teams, actor=alice)
    assert [(t.id, t.role) for t in listed] == [(second.id, ADMIN), (first.id, OWNER)]


async def test_admins_edit_the_team_and_settings_and_each_change_is_audited() -> None:
    owner, admin = await make_user(), await make_user()
    team = await make_team(owner, members=[(admin, ADMIN)], name="Old")
    updated = await in_transaction(
        team_service.update_team, actor=admin, data=TeamUpdate(id=team.id, name="New", description="d")
    )
    assert (updated.name, updated.description, updated.role) == ("New", "d", ADMIN)
    settings = TeamSettingsUpdate(default_role=ADMIN, invitation_ttl_hours=1.5)
    updated = await in_transaction(team_service.update_settings, actor=admin, team_id=team.id, data=settings)
    assert (updated.default_role, updated.invitation_ttl_hours) == (ADMIN, 1.5)
    unchanged = await in_transaction(
        team_service.update_settings, actor=owner, team_id=team.id, data=TeamSettingsUpdate(name="New")
    )
    assert unchanged.name == "New"
    trail = await audit_trail(team.id)
    assert [e.action for e in trail] == ["team.updated", "team.updated"]
    assert trail[0].actor_id == admin.id
    assert trail[0].details == {
        "changes": {"name": {"from": "Old", "to": "New"}, "description": {"from": "", "to": "d"}}
    }
    assert trail[1].details == {
        "changes": {
            "default_role": {"from": "member", "to": "admin"},
            "invitation_ttl_hours": {"from": 72.0, "to": 1.5},
        }
    }


async def test_members_cannot_edit_and_a_refusal_changes_nothing() -> None:
    owner, member = await make_user(), await make_user()
    team = await make_team(owner, members=[(member, MEMBER)])
    before = await snapshot(team.id)
    with pytest.raises(PermissionDenied, match="Only owners and admins"):
        await in_transaction(team_service.update_team, actor=member, data=TeamUpdate(id=team.id, name="Mine"))
    with pytest.raises(PermissionDenied):
        await in_transaction(team_service.delete_team, actor=member, team_id=team.id)
    assert await snapshot(team.id) == before


async def test_role_changes_follow_the_table() -> None:
    owner, admin, member, other = [await make_user() for _ in range(4)]
    team = await make_team(owner, members=[(admin, ADMIN), (member, MEMBER), (other, MEMBER)])
    change_role = functools.partial(in_transaction, team_service.change_role, team_id=team.id)
    await change_role(actor=admin, user_id=member.id, role=ADMIN)
    await change_role(actor=admin, user_id=member.id, role=MEMBER)
    with pytest.raises(PermissionDenied, match="owner's act"):
        await change_role(actor=admin, user_id=member.id, role=OWNER)
    with pytest.raises(PermissionDenied, match="owner's act"):
        await change_role(actor=admin, user_id=owner.id, role=ADMIN)
    with pytest.raises(PermissionDenied, match="Only owners and admins can change roles"):
        await change_role(actor=member, user_id=other.id, role=ADMIN)
    with pytest.raises(NotFound, match="not a member"):
        await change_role(actor=owner, user_id=uuid.uuid4(), role=ADMIN)
    await change_role(actor=owner, user_id=other.id, role=OWNER)
    assert await roles(team.id) == {owner.id: OWNER, admin.id: ADMIN, member.id: MEMBER, other.id: OWNER}
    trail = [(e.action, e.actor_id, e.subject_id, e.details) for e in await audit_trail(team.id)]
    assert trail == [
        ("member.role_changed", admin.id, member.id, {"from": "member", "to": "admin"}),
        ("member.role_changed", admin.id, member.id, {"from": "admin", "to": "member"}),
        ("member.role_changed", owner.id, other.id, {"from": "member", "to": "owner"}),
    ]


async def test_the_last_owner_cannot_be_demoted_but_one_of_two_can() -> None:
    owner, second = await make_user(), await make_user()
    team = await make_team(owner, members=[(second, ADMIN)])
    before = await snapshot(team.id)
    with pytest.raises(Conflict, match="at least one owner") as refused:
        await in_transaction(
            team_service.change_role, actor=owner, team_id=team.id, user_id=owner.id, role=ADMIN
        )
    assert refused.value.field == "role"
    assert await snapshot(team.id) == before
    await in_transaction(
        team_service.change_role, actor=owner, team_id=team.id, user_id=second.id, role=OWNER
    )
    demoted = await in_transaction(
        team_service.change_role, actor=owner, team_id=team.id, user_id=owner.id, role=MEMBER
    )
    assert demoted.role is MEMBER
    assert await roles(team.id) == {owner.id: MEMBER, second.id: OWNER}


async def test_ownership_transfer_then_the_former_owner_has_no_say_over_owners() -> None:
    founder, heir = await make_user(), await make_user()
    team = await make_team(founder, members=[(heir, MEMBER)])
    await in_transaction(
        team_service.change_role, actor=founder, team_id=team.id, user_id=heir.id, role=OWNER
    )
    await in_transaction(
        team_service.change_role, actor=founder, team_id=team.id, user_id=founder.id, role=ADMIN
    )
    assert await roles(team.id) == {founder.id: ADMIN, heir.id: OWNER}
    with pytest.raises(PermissionDenied):
        await in_transaction(
            team_service.change_role, actor=founder, team_id=team.id, user_id=heir.id, role=ADMIN
        )
    with pytest.raises(Conflict, match="at least one owner"):
        await in_transaction(team_service.remove_member, actor=heir, team_id=team.id, user_id=heir.id)


async def test_removals_follow_the_table() -> None:
    owner, admin, other_admin, member = [await make_user() for _ in range(4)]
    team = await make_team(owner, members=[(admin, ADMIN), (other_admin, ADMIN), (member, MEMBER)])
    with pytest.raises(PermissionDenied, match="Admins can remove members only"):
        await in_transaction(team_service.remove_member, actor=admin, team_id=team.id, user_id=other_admin.id)
    with pytest.raises(PermissionDenied, match="Only owners and admins can remove"):
        await in_transaction(team_service.remove_member, actor=member, team_id=team.id, user_id=admin.id)
    await in_transaction(team_service.remove_member, actor=admin, team_id=team.id, user_id=member.id)
    await in_transaction(team_service.remove_member, actor=owner, team_id=team.id, user_id=other_admin.id)
    assert await roles(team.id) == {owner.id: OWNER, admin.id: ADMIN}
    with pytest.raises(NotFound, match="Team not found"):
        await in_transaction(team_service.get_team, actor=member, team_id=team.id)
    trail = [(e.action, e.actor_id, e.subject_id) for e in await audit_trail(team.id)]
    assert trail == [("member.removed", admin.id, member.id), ("member.removed", owner.id, other_admin.id)]


async def test_leaving() -> None:
    owner, co_owner, member = [await make_user() for _ in range(3)]
    team = await make_team(owner, members=[(co_owner, OWNER), (member, MEMBER)])
    await in_transaction(team_service.remove_member, actor=member, team_id=team.id, user_id=member.id)
    await in_transaction(team_service.remove_member, actor=co_owner, team_id=team.id, user_id=co_owner.id)
    with pytest.raises(Conflict, match="make someone else owner first, or delete the team"):
        await in_transaction(team_service.remove_member, actor=owner, team_id=team.id, user_id=owner.id)
    assert await roles(team.id) == {owner.id: OWNER}
    trail = [(e.action, e.actor_id, e.subject_id) for e in await audit_trail(team.id)]
    assert trail == [("member.left", member.id, member.id), ("member.left", co_owner.id, co_owner.id)]
    with pytest.raises(NotFound):
        await in_transaction(team_service.remove_member, actor=member, team_id=team.id, user_id=member.id)


async def test_deleting_a_team_removes_its_memberships_invitations_and_log_at_once() -> None:
    owner, admin = await make_user(), await make_user()
    team = await make_team(owner, members=[(admin, ADMIN)])
    await make_invitation(team, created_by=owner)
    await in_transaction(
        team_service.change_role, actor=owner, team_id=team.id, user_id=admin.id, role=MEMBER
    )
    with pytest.raises(PermissionDenied, match="Only owners can delete"):
        await in_transaction(team_service.delete_team, actor=admin, team_id=team.id)
    await in_transaction(team_service.delete_team, actor=owner, team_id=team.id)
    assert await snapshot(team.id) == {"team": [], "memberships": [], "invitations": [], "audit": []}
    async with session_scope() as session:
        for model in (Membership, Invitation, AuditEvent):
            rows = await session.exec(select(model).where(col(model.team_id) == team.id))
            assert rows.all() == []
        assert await session.get(Team, team.id) is None
    with pytest.raises(NotFound):
        await in_transaction(team_service.delete_team, actor=owner, team_id=team.id)


async def test_audit_log_is_paged_newest_first_for_owners_and_admins_only() -> None:
    owner, admin, member, promoted, outsider = [await make_user() for _ in range(5)]
    team = await make_team(owner, members=[(admin, ADMIN), (member, MEMBER), (promoted, MEMBER)])
    for ttl in (1, 2, 3):
        await in_transaction(
            team_service.update_settings,
            actor=owner,
            team_id=team.id,
            data=TeamSettingsUpdate(invitation_ttl_hours=ttl),
        )
    await in_transaction(
        team_service.change_role, actor=owner, team_id=team.id, user_id=promoted.id, role=ADMIN
    )
    page = await in_transaction(team_service.list_audit_events, actor=admin, team_id=team.id, limit=2)
    assert page.total == 4
    assert [e.action for e in page.items] == ["member.role_changed", "team.updated"]
    first = page.items[0]
    assert (first.actor_id, first.actor_username, first.subject_id, first.subject_username) == (
        owner.id,
        owner.username,
        promoted.id,
        promoted.username,
    )
    assert page.items[1].details["changes"]["invitation_ttl_hours"]["to"] == 3
    rest = await in_transaction(
        team_service.list_audit_events, actor=owner, team_id=team.id, limit=2, offset=2
    )
    assert [e.details["changes"]["invitation_ttl_hours"]["to"] for e in rest.items] == [2, 1]
    with pytest.raises(PermissionDenied, match="audit log"):
        await in_transaction(team_service.list_audit_events, actor=member, team_id=team.id)
    with pytest.raises(NotFound):
        await in_transaction(team_service.list_audit_events, actor=outsider, team_id=team.id)


async def test_changes_emit_team_changed_after_commit_only() -> None:
    owner, member = await make_user(), await make_user()
    team = await make_team(owner, members=[(member, MEMBER)])
    heard: list[events.TeamChanged] = []
    arrived = asyncio.Event()

    async def listen(event: events.Event) -> None:
        if isinstance(event, events.TeamChanged) and event.team_id == team.id:
            heard.append(event)
            arrived.set()

    events.subscribe(listen)
    with pytest.raises(Conflict):
        await in_transaction(
            team_service.change_role, actor=owner, team_id=team.id, user_id=owner.id, role=ADMIN
        )
    await in_transaction(team_service.remove_member, actor=owner, team_id=team.id, user_id=member.id)
    await asyncio.wait_for(arrived.wait(), timeout=5)
    assert [(e.kind, e.user_ids) for e in heard] == [("member.removed", frozenset({owner.id, member.id}))]
