"""Teams, their members and roles: every rule of SPEC section 5 lives here.

Concurrency: every change to a team first locks its row (`SELECT ... FOR UPDATE`, `lock_team`) and
only then reads the memberships it decides on, so changes to one team run one after the other and
each sees the last one's result. That keeps "at least one owner" true when two owners demote each
other at once, and lets invitations count their uses exactly. Reads take no lock.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.errors import Conflict, NotFound, PermissionDenied
from teamsapp.models import AuditEvent, Invitation, Membership, Role, Team, User
from teamsapp.models.base import utcnow
from teamsapp.teams import audit, permissions
from teamsapp.teams.audit import AuditAction
from teamsapp.teams.permissions import Action
from teamsapp.teams.schemas import (
    AUDIT_PAGE_MAX,
    AuditPage,
    MemberPublic,
    TeamCreate,
    TeamPublic,
    TeamSettingsUpdate,
    TeamSummary,
    TeamUpdate,
)

logger = logging.getLogger(__name__)

TEAM_NOT_FOUND = "Team not found."
MEMBER_NOT_FOUND = "That user is not a member of this team."
LAST_OWNER_DEMOTE = "A team needs at least one owner: make someone else owner before changing this role."
LAST_OWNER_LEAVE = "A team needs at least one owner: make someone else owner first, or delete the team."
DEFAULT_ROLE_DENIED = "Only owners can make owner the default role of invitations."
ROLE_ORDER = {Role.OWNER: 0, Role.ADMIN: 1, Role.MEMBER: 2}

# The statements of the hot reads, built once (building and keying one costs more than running it).
_ROLE = select(Membership.role).where(
    Membership.team_id == bindparam("team_id"), Membership.user_id == bindparam("user_id")
)
_TEAM_AND_ROLE = (
    select(Team, Membership.role)
    .outerjoin(
        Membership,
        (col(Membership.team_id) == Team.id) & (col(Membership.user_id) == bindparam("user_id")),
    )
    .where(Team.id == bindparam("team_id"))
)
_MEMBERS = (
    select(Membership.role, User.id, User.username, User.full_name)
    .join(User, col(User.id) == Membership.user_id)
    .where(Membership.team_id == bindparam("team_id"))
)
_TEAMS_OF_USER = (
    select(Team.id, Team.name, Team.description, Membership.role)
    .join(Membership, col(Membership.team_id) == Team.id)
    .where(Membership.user_id == bindparam("user_id"))
    .order_by(func.lower(Team.name), col(Team.created_at))
)


async def lock_team(session: AsyncSession, team_id: uuid.UUID, *, shared: bool = False) -> Team | None:
    """The team, locked until the transaction ends, fresh from the database.

    `FOR UPDATE` by default; `shared` takes `FOR SHARE`, which holders of the same kind pass side by
    side (many invitations created at once) while every `FOR UPDATE` change still waits for them.
    """
    result = await session.exec(
        select(Team)
        .where(Team.id == team_id)
        .with_for_update(read=shared)
        .execution_options(populate_existing=True)
    )
    return result.first()


async def role_of(session: AsyncSession, *, team_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
    """The user's role in the team, or None for an outsider."""
    result = await session.exec(_ROLE, params={"team_id": team_id, "user_id": user_id})
    role = result.first()
    return Role(role) if role is not None else None


async def _membership(session: AsyncSession, *, team_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    result = await session.exec(
        select(Membership)
        .where(Membership.team_id == team_id, Membership.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    return result.first()


async def _owner_count(session: AsyncSession, team_id: uuid.UUID) -> int:
    result = await session.exec(
        select(func.count())
        .select_from(Membership)
        .where(Membership.team_id == team_id, Membership.role == Role.OWNER)
    )
    return result.one()


async def authorize(
    session: AsyncSession,
    *,
    actor: User,
    team_id: uuid.UUID,
    action: Action,
    lock: bool,
    hidden: str = TEAM_NOT_FOUND,
    shared: bool = False,
) -> tuple[Team, Role]:
    """The team and the actor's role, if the actor may do `action`; optionally locking the team row.

    A lock is taken before the role is read, so the role is the one the change will see; a plain
    read takes both in one round trip.
    """
    team: Team | None
    role: Role | None
    if lock:
        team = await lock_team(session, team_id, shared=shared)
        role = await role_of(session, team_id=team_id, user_id=actor.id) if team else None
    else:
        row = (await session.exec(_TEAM_AND_ROLE, params={"team_id": team_id, "user_id": actor.id})).first()
        team, role = (row[0], Role(row[1]) if row[1] is not None else None) if row else (None, None)
    permissions.require_any(role, action, hidden=hidden)
    assert team is not None and role is not None
    return team, role


async def team_detail(session: AsyncSession, *, team: Team, role: Role) -> TeamPublic:
    """The team with its members (owners first), as seen by a member with `role`."""
    rows = await session.exec(_MEMBERS, params={"team_id": team.id})
    members = [
        MemberPublic(user_id=user_id, username=username, full_name=full_name, role=Role(member_role))
        for member_role, user_id, username, full_name in rows.all()
    ]
    return _team_public(team, role=role, members=members)


def _team_public(team: Team, *, role: Role, members: list[MemberPublic]) -> TeamPublic:
    members.sort(key=lambda member: (ROLE_ORDER[member.role], member.username))
    return TeamPublic(
        id=team.id,
        name=team.name,
        description=team.description,
        role=role,
        default_role=Role(team.default_role),
        invitation_ttl_hours=team.invitation_ttl_hours,
        members=members,
    )


async def create_team(session: AsyncSession, *, actor: User, data: TeamCreate) -> TeamPublic:
    """Create a team; the creator (a verified user) is its owner."""
    if not actor.is_verified:
        raise PermissionDenied("Verify your email address before creating a team.")
    team = Team(name=data.name, description=data.description)
    session.add(team)
    await session.flush()  # the team row first: the membership and the audit event refer to it
    session.add(Membership(team_id=team.id, user_id=actor.id, role=Role.OWNER))
    await audit.record(
        session,
        team_id=team.id,
        actor_id=actor.id,
        action=AuditAction.TEAM_CREATED,
        subject_id=team.id,
        details={"name": team.name},
        members={actor.id},
    )
    owner = MemberPublic(
        user_id=actor.id, username=actor.username, full_name=actor.full_name, role=Role.OWNER
    )
    return _team_public(team, role=Role.OWNER, members=[owner])


async def get_team(session: AsyncSession, *, actor: User, team_id: uuid.UUID) -> TeamPublic:
    """The team, its members and the caller's role; members only."""
    team, role = await authorize(session, actor=actor, team_id=team_id, action=Action.VIEW_TEAM, lock=False)
    return await team_detail(session, team=team, role=role)


async def list_teams(session: AsyncSession, *, actor: User) -> list[TeamSummary]:
    """The caller's teams with their role in each, by name."""
    rows = await session.exec(_TEAMS_OF_USER, params={"user_id": actor.id})
    return [
        TeamSummary(id=team_id, name=name, description=description, role=Role(role))
        for team_id, name, description, role in rows.all()
    ]


async def update_team(session: AsyncSession, *, actor: User, data: TeamUpdate) -> TeamPublic:
    """Change the name or description (owners and admins)."""
    settings = TeamSettingsUpdate(name=data.name, description=data.description)
    return await update_settings(session, actor=actor, team_id=data.id, data=settings)


async def update_settings(
    session: AsyncSession, *, actor: User, team_id: uuid.UUID, data: TeamSettingsUpdate
) -> TeamPublic:
    """Change the name, description, default invitation role or invitation lifetime (owners, admins)."""
    team, role = await authorize(session, actor=actor, team_id=team_id, action=Action.EDIT_TEAM, lock=True)
    _require_default_role_right(role, team, data.default_role)
    changes: dict[str, Any] = {}
    for field, value in data.model_dump(exclude_none=True).items():
        if getattr(team, field) != value:
            changes[field] = {"from": getattr(team, field), "to": value}
            setattr(team, field, value)
    if changes:
        team.updated_at = utcnow()
        session.add(team)
        await audit.record(
            session,
            team_id=team.id,
            actor_id=actor.id,
            action=AuditAction.TEAM_UPDATED,
            subject_id=team.id,
            details={"changes": changes},
        )
    return await team_detail(session, team=team, role=role)


def _require_default_role_right(role: Role, team: Team, default_role: Role | None) -> None:
    # The default role is what invitations give when none is named: setting it is inviting with it.
    if default_role is None or default_role == team.default_role:
        return
    if not permissions.allows(role, Action.INVITE, new=default_role):
        raise PermissionDenied(DEFAULT_ROLE_DENIED, field="default_role")


async def delete_team(session: AsyncSession, *, actor: User, team_id: uuid.UUID) -> None:
    """Delete the team with its memberships, invitations and audit log, in this transaction (owners)."""
    await authorize(session, actor=actor, team_id=team_id, action=Action.DELETE_TEAM, lock=True)
    former_members = await audit.member_ids(session, team_id)
    await session.exec(delete(Invitation).where(col(Invitation.team_id) == team_id))
    await session.exec(delete(Membership).where(col(Membership.team_id) == team_id))
    await session.exec(delete(AuditEvent).where(col(AuditEvent.team_id) == team_id))
    await session.exec(delete(Team).where(col(Team.id) == team_id))
    audit.notify(session, team_id=team_id, kind=AuditAction.TEAM_DELETED, user_ids=former_members)
    logger.info("team %s deleted by user %s", team_id, actor.id)


async def change_role(
    session: AsyncSession, *, actor: User, team_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> TeamPublic:
    """Give a member another role; the last owner cannot be demoted."""
    team, actor_role = await authorize(
        session, actor=actor, team_id=team_id, action=Action.CHANGE_ROLE, lock=True
    )
    membership = await _membership(session, team_id=team_id, user_id=user_id)
    if membership is None:
        raise NotFound(MEMBER_NOT_FOUND)
    current = Role(membership.role)
    permissions.require(actor_role, Action.CHANGE_ROLE, target=current, new=role)
    if current == role:
        return await team_detail(session, team=team, role=actor_role)
    if current is Role.OWNER and await _owner_count(session, team_id) <= 1:
        raise Conflict(LAST_OWNER_DEMOTE, field="role")
    membership.role = role
    session.add(membership)
    await session.flush()
    await audit.record(
        session,
        team_id=team_id,
        actor_id=actor.id,
        action=AuditAction.ROLE_CHANGED,
        subject_id=user_id,
        details={"from": current, "to": role},
    )
    new_actor_role = role if user_id == actor.id else actor_role
    return await team_detail(session, team=team, role=new_actor_role)


async def remove_member(
    session: AsyncSession, *, actor: User, team_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Remove a member, or leave when `user_id` is the actor's; the last owner cannot go."""
    leaving = user_id == actor.id
    action = Action.LEAVE if leaving else Action.REMOVE_MEMBER
    _, actor_role = await authorize(session, actor=actor, team_id=team_id, action=action, lock=True)
    membership = await _membership(session, team_id=team_id, user_id=user_id)
    if membership is None:
        raise NotFound(MEMBER_NOT_FOUND)
    current = Role(membership.role)
    if not leaving:
        permissions.require(actor_role, action, target=current)
    if current is Role.OWNER and await _owner_count(session, team_id) <= 1:
        raise Conflict(LAST_OWNER_LEAVE)
    await session.delete(membership)
    await session.flush()
    await audit.record(
        session,
        team_id=team_id,
        actor_id=actor.id,
        action=AuditAction.MEMBER_LEFT if leaving else AuditAction.MEMBER_REMOVED,
        subject_id=user_id,
        details={"role": current},
        also_notify={user_id},
    )


async def list_audit_events(
    session: AsyncSession, *, actor: User, team_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> AuditPage:
    """A page of the team's audit log, newest first (owners and admins)."""
    await authorize(session, actor=actor, team_id=team_id, action=Action.READ_AUDIT, lock=False)
    limit = max(1, min(limit, AUDIT_PAGE_MAX))
    return await audit.list_events(session, team_id=team_id, limit=limit, offset=max(0, offset))
