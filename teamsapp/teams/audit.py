"""The team audit log: every change is written in the transaction that makes it."""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import aliased
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.events import TeamChanged, emit
from teamsapp.models import AuditEvent, Membership, User
from teamsapp.teams.schemas import AuditEventPublic, AuditPage


class AuditAction(enum.StrEnum):
    TEAM_CREATED = "team.created"
    TEAM_UPDATED = "team.updated"
    TEAM_DELETED = "team.deleted"
    ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    MEMBER_LEFT = "member.left"
    MEMBER_JOINED = "member.joined"
    INVITATION_CREATED = "invitation.created"
    INVITATION_DISABLED = "invitation.disabled"
    INVITATION_ENABLED = "invitation.enabled"
    INVITATION_DELETED = "invitation.deleted"


_MEMBER_IDS = select(Membership.user_id).where(Membership.team_id == bindparam("team_id"))


async def member_ids(session: AsyncSession, team_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids of the team's current members."""
    result = await session.exec(_MEMBER_IDS, params={"team_id": team_id})
    return set(result.all())


async def record(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    actor_id: uuid.UUID,
    action: AuditAction,
    subject_id: uuid.UUID | None,
    details: dict[str, Any] | None = None,
    also_notify: set[uuid.UUID] | None = None,
    members: set[uuid.UUID] | None = None,
) -> None:
    """Write the audit event and emit `TeamChanged` to the members (and `also_notify`), after commit.

    `members` saves reading them when the caller knows them (a team it just created).
    """
    session.add(
        AuditEvent(
            team_id=team_id, actor_id=actor_id, action=action, subject_id=subject_id, details=details or {}
        )
    )
    notify(
        session,
        team_id=team_id,
        kind=action,
        user_ids=(members if members is not None else await member_ids(session, team_id))
        | (also_notify or set()),
    )


def notify(session: AsyncSession, *, team_id: uuid.UUID, kind: str, user_ids: set[uuid.UUID]) -> None:
    """Emit `TeamChanged` without an audit event (the team is gone, or nothing was written)."""
    emit(session, TeamChanged(team_id=team_id, user_ids=frozenset(user_ids), kind=kind))


async def list_events(session: AsyncSession, *, team_id: uuid.UUID, limit: int, offset: int) -> AuditPage:
    """A page of the team's audit log, newest first, with the actor's and subject's usernames."""
    actor = aliased(User)
    subject = aliased(User)
    total = (
        await session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.team_id == team_id))
    ).one()
    rows = await session.exec(
        select(AuditEvent, actor.username, subject.username)
        .outerjoin(actor, col(actor.id) == AuditEvent.actor_id)
        .outerjoin(subject, col(subject.id) == AuditEvent.subject_id)
        .where(AuditEvent.team_id == team_id)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        AuditEventPublic(
            id=event.id,
            action=event.action,
            actor_id=event.actor_id,
            # A deleted actor's entries keep the name written at the deletion ("Deleted user").
            actor_username=actor_username or event.actor_name,
            subject_id=event.subject_id,
            subject_username=subject_username,
            details=event.details,
            created_at=event.created_at,
        )
        for event, actor_username, subject_username in rows.all()
    ]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)
