"""Account deletion (SPEC 13): every rule of it lives here; the REST route and the UI call it.

The user's teams are locked (in id order, so two deletions never deadlock) before the plan is
decided, so a concurrent role change or join cannot slip between the check and the deletion. Teams
where the user is the only member are deleted; from the others the user leaves (audited as
`member.left`), unless the user is the last owner of a team with other members: then the whole
deletion is refused (409) and nothing changes.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import case, update
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.account.schemas import AccountDelete, DeletionPlan, TeamRef
from teamsapp.auth import cache as access_cache
from teamsapp.auth import service as auth_service
from teamsapp.auth import two_factor
from teamsapp.auth.service import Principal
from teamsapp.core.errors import Conflict
from teamsapp.core.events import AccountChanged, emit
from teamsapp.mail import service as mail_service
from teamsapp.models import (
    AdminAuditEvent,
    AuditEvent,
    Invitation,
    LoginSession,
    MailStatus,
    Membership,
    OutboxMail,
    Role,
    Team,
    User,
)
from teamsapp.models.base import utcnow
from teamsapp.teams import service as team_service

logger = logging.getLogger(__name__)

# How an audit entry names an actor (or the admin log a target) whose account was deleted.
DELETED_USER = "Deleted user"


def two_factor_enabled(user: User) -> bool:
    """Whether the user has two-factor authentication on."""
    return user.two_factor_enabled


def blocking_message(teams: list[TeamRef]) -> str:
    """Why the account cannot be deleted yet, naming the teams."""
    names = ", ".join(f"“{team.name}”" for team in teams)
    return (
        f"You are the only owner of {names}, which other people are in: make someone else owner "
        "or delete the team first."
    )


async def _my_teams(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[uuid.UUID, str, Role]]:
    rows = await session.exec(
        select(Team.id, Team.name, Membership.role)
        .join(Membership, col(Membership.team_id) == Team.id)
        .where(Membership.user_id == user_id)
        .order_by(col(Team.id))
        .execution_options(populate_existing=True)
    )
    return [(team_id, name, Role(role)) for team_id, name, role in rows.all()]


async def _counts(session: AsyncSession, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """(members, owners) of each team."""
    if not team_ids:
        return {}
    owners = func.sum(case((col(Membership.role) == Role.OWNER, 1), else_=0))
    rows = await session.exec(
        select(Membership.team_id, func.count(), owners)
        .where(col(Membership.team_id).in_(team_ids))
        .group_by(col(Membership.team_id))
    )
    return {team_id: (int(members), int(owner_count or 0)) for team_id, members, owner_count in rows.all()}


async def deletion_plan(session: AsyncSession, *, user: User) -> DeletionPlan:
    """What deleting the user's account would do now (read-only; the dialog shows it first)."""
    teams = await _my_teams(session, user.id)
    counts = await _counts(session, [team_id for team_id, _, _ in teams])
    plan = DeletionPlan(deleted_teams=[], left_teams=[], blocking=[], sessions=0)
    for team_id, name, role in teams:
        members, owners = counts.get(team_id, (1, 1))
        ref = TeamRef(id=team_id, name=name)
        if members <= 1:
            plan.deleted_teams.append(ref)
        elif role is Role.OWNER and owners <= 1:
            plan.blocking.append(ref)
        else:
            plan.left_teams.append(ref)
    plan.sessions = (
        await session.exec(
            select(func.count())
            .select_from(LoginSession)
            .where(
                LoginSession.user_id == user.id,
                col(LoginSession.revoked_at).is_(None),
                LoginSession.expires_at > utcnow(),
            )
        )
    ).one()
    return plan


async def _lock_teams(session: AsyncSession, user_id: uuid.UUID) -> None:
    # Locked in id order: two deletions sharing teams take the locks in the same order.
    for team_id, _, _ in await _my_teams(session, user_id):
        await team_service.lock_team(session, team_id)


async def _forget_in_logs(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Keep the user's audit entries, under a name that is no longer theirs; the ids go with the row."""
    await session.exec(
        update(AuditEvent).where(col(AuditEvent.actor_id) == user_id).values(actor_name=DELETED_USER)
    )
    await session.exec(
        update(AdminAuditEvent)
        .where(col(AdminAuditEvent.actor_id) == user_id)
        .values(actor_name=DELETED_USER)
    )
    await session.exec(
        update(AdminAuditEvent)
        .where(col(AdminAuditEvent.target_id) == user_id)
        .values(target_name=DELETED_USER)
    )


async def delete_account(session: AsyncSession, *, principal: Principal, data: AccountDelete) -> None:
    """Delete the caller's account, after the current password (and, with 2FA, a code).

    Sessions end at once; sole-member teams are deleted, other teams are left; refused with a 409
    naming the teams where the caller is the last owner beside other members.
    """
    user = principal.user
    await auth_service.check_current_password(user, password=data.current_password)
    await two_factor.require_second_factor(session, user=user, code=data.code)
    await _lock_teams(session, user.id)
    plan = await deletion_plan(session, user=user)
    if plan.blocking:
        raise Conflict(blocking_message(plan.blocking))
    for team in plan.deleted_teams:
        await team_service.delete_team(session, actor=user, team_id=team.id)
    for team in plan.left_teams:
        await team_service.remove_member(session, actor=user, team_id=team.id, user_id=user.id)
    # An invitation carries its creator's authority, which leaves with them.
    await session.exec(delete(Invitation).where(col(Invitation.created_by_id) == user.id))
    await _forget_in_logs(session, user.id)
    # Delivered mails to the address are the user's data too; a pending one is still delivered.
    await session.exec(
        delete(OutboxMail).where(
            col(OutboxMail.to_address) == user.email,
            col(OutboxMail.created_at) >= user.created_at,
            col(OutboxMail.status) != MailStatus.PENDING,
        )
    )
    await mail_service.queue_mail(
        session, to=user.email, template="account_deleted", context={"name": user.full_name}
    )
    # Sessions and mailed links go with the row (ON DELETE CASCADE), so its tokens stop at once.
    await session.exec(delete(User).where(col(User.id) == user.id))
    access_cache.invalidate(session, user_id=user.id)
    emit(session, AccountChanged(user_id=user.id, kind="account.deleted", signed_out=True))
    logger.info("user %s deleted their account (%d teams deleted)", user.id, len(plan.deleted_teams))
