"""Invitations: created by owners and admins, accepted by token (a POST), status computed on read.

The token is random and only its keyed hash is stored; the link carrying it is returned once, at
creation, and mailed when the invitation is bound to an email address. Changes lock the team row
first (see `teamsapp.teams.service`), so two accepts of a one-use invitation give one membership.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import ratelimit
from teamsapp.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from teamsapp.core.security import new_token, token_hash
from teamsapp.invitations.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationPreview,
    InvitationPublic,
    InvitationStatus,
)
from teamsapp.mail.service import build_link, queue_mail
from teamsapp.models import Invitation, Membership, Role, Team, User
from teamsapp.models.base import utcnow
from teamsapp.observability.metrics import INVITATIONS_ACCEPTED, INVITATIONS_CREATED
from teamsapp.teams import audit, permissions
from teamsapp.teams import service as team_service
from teamsapp.teams.audit import AuditAction
from teamsapp.teams.permissions import Action
from teamsapp.teams.schemas import TeamPublic

INVITE_PATH = "/invite"
INVITATION_NOT_FOUND = "Invitation not found."
INVALID_LINK = "This invitation link is not valid. Ask the team for a new one."
OTHER_EMAIL = "This invitation was sent to another email address; log in with that address to accept it."
ALREADY_MEMBER = "You are already a member of this team."
UNVERIFIED = "Verify your email address before accepting an invitation."
REFUSED = {
    InvitationStatus.DISABLED: "This invitation has been disabled by the team.",
    InvitationStatus.REVOKED: "This invitation is no longer valid. Ask the team for a new one.",
    InvitationStatus.EXPIRED: "This invitation has expired. Ask the team for a new one.",
    InvitationStatus.USED_UP: "This invitation has already been used as often as it allows.",
}


# Each member's role and when they joined: what an invitation's creator may still do.
Creators = dict[uuid.UUID, tuple[Role, dt.datetime]]


async def _creators(session: AsyncSession, team_id: uuid.UUID) -> Creators:
    rows = await session.exec(
        select(Membership.user_id, Membership.role, Membership.created_at).where(
            Membership.team_id == team_id
        )
    )
    return {user_id: (Role(role), joined_at) for user_id, role, joined_at in rows.all()}


def creator_vouches(invitation: Invitation, creators: Creators) -> bool:
    """Whether the invitation's creator, as a member now, may still invite with its role.

    A member since before the invitation was made: a removed admin who comes back does not bring
    their old links back to life.
    """
    found = creators.get(invitation.created_by_id) if invitation.created_by_id else None
    if found is None:
        return False
    role, joined_at = found
    return joined_at <= invitation.created_at and permissions.allows(
        role, Action.INVITE, new=Role(invitation.role)
    )


def status_of(
    invitation: Invitation, *, now: dt.datetime | None = None, vouched: bool = True
) -> InvitationStatus:
    """The computed status: disabled, revoked, used up, expired or active (in that order of precedence).

    `vouched` is whether its creator still has the authority it carries (`creator_vouches`).
    """
    if invitation.disabled:
        return InvitationStatus.DISABLED
    if not vouched:
        return InvitationStatus.REVOKED
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        return InvitationStatus.USED_UP
    if invitation.expires_at <= (now or utcnow()):
        return InvitationStatus.EXPIRED
    return InvitationStatus.ACTIVE


def to_public(invitation: Invitation, creators: Creators | None = None) -> InvitationPublic:
    """The invitation as owners and admins see it (never its token); `creators` from `_creators`."""
    vouched = True if creators is None else creator_vouches(invitation, creators)
    return InvitationPublic(
        id=invitation.id,
        team_id=invitation.team_id,
        role=Role(invitation.role),
        email=invitation.email,
        status=status_of(invitation, vouched=vouched),
        uses=invitation.uses,
        max_uses=invitation.max_uses,
        expires_at=invitation.expires_at,
        created_at=invitation.created_at,
        created_by_id=invitation.created_by_id,
    )


async def _authorize(
    session: AsyncSession, *, actor: User, invitation_id: uuid.UUID, action: Action, lock: bool
) -> tuple[Invitation, Role]:
    team_id = (await session.exec(select(Invitation.team_id).where(Invitation.id == invitation_id))).first()
    if team_id is None:
        raise NotFound(INVITATION_NOT_FOUND)
    _, role = await team_service.authorize(
        session, actor=actor, team_id=team_id, action=action, lock=lock, hidden=INVITATION_NOT_FOUND
    )
    invitation = await session.get(Invitation, invitation_id, populate_existing=True)
    if invitation is None:
        raise NotFound(INVITATION_NOT_FOUND)
    return invitation, role


async def _authorize_manage(session: AsyncSession, *, actor: User, invitation_id: uuid.UUID) -> Invitation:
    # Disabling or deleting an owner invitation is an owner's act, like creating one.
    invitation, role = await _authorize(
        session, actor=actor, invitation_id=invitation_id, action=Action.MANAGE_INVITATION, lock=True
    )
    permissions.require(role, Action.MANAGE_INVITATION, target=Role(invitation.role))
    return invitation


async def create_invitation(
    session: AsyncSession, *, actor: User, data: InvitationCreate
) -> InvitationCreated:
    """Invite to a team (owners and admins; owners only for the owner role); mails bound invitations."""
    # A shared lock: invitations are created side by side, but never during a role change or deletion.
    team, actor_role = await team_service.authorize(
        session, actor=actor, team_id=data.team_id, action=Action.INVITE, lock=True, shared=True
    )
    role = data.role or Role(team.default_role)
    permissions.require(actor_role, Action.INVITE, new=role)
    email = data.email.lower() if data.email else None
    if email and data.max_uses not in (None, 1):
        raise Invalid("An invitation sent to an email address can be used once.", field="max_uses")
    if email:
        await ratelimit.hit_invitation_mail(team=str(team.id), address=email)
    ttl_hours = data.ttl_hours or team.invitation_ttl_hours
    token = new_token()
    invitation = Invitation(
        team_id=team.id,
        created_by_id=actor.id,
        token_hash=token_hash(token),
        role=role,
        email=email,
        expires_at=utcnow() + dt.timedelta(hours=ttl_hours),
        max_uses=1 if email else data.max_uses,
    )
    session.add(invitation)
    await session.flush()
    link = build_link(INVITE_PATH, token)
    if email:
        context = {
            "team_name": team.name,
            "inviter_name": actor.full_name or actor.username,
            "role": role.value,
            "link": link,
        }
        await queue_mail(session, to=email, template="invitation", context=context)
    await audit.record(
        session,
        team_id=team.id,
        actor_id=actor.id,
        action=AuditAction.INVITATION_CREATED,
        subject_id=invitation.id,
        details={
            "role": role,
            "email": email,
            "max_uses": invitation.max_uses,
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    INVITATIONS_CREATED.inc()
    return InvitationCreated(**to_public(invitation).model_dump(), link=link)


async def get_invitation(session: AsyncSession, *, actor: User, invitation_id: uuid.UUID) -> InvitationPublic:
    """One invitation with its computed status (owners and admins)."""
    invitation, _ = await _authorize(
        session, actor=actor, invitation_id=invitation_id, action=Action.VIEW_INVITATIONS, lock=False
    )
    return to_public(invitation, await _creators(session, invitation.team_id))


async def list_invitations(
    session: AsyncSession, *, actor: User, team_id: uuid.UUID
) -> list[InvitationPublic]:
    """Every invitation of the team, newest first (owners and admins)."""
    await team_service.authorize(
        session, actor=actor, team_id=team_id, action=Action.VIEW_INVITATIONS, lock=False
    )
    result = await session.exec(
        select(Invitation).where(Invitation.team_id == team_id).order_by(col(Invitation.created_at).desc())
    )
    creators = await _creators(session, team_id)
    return [to_public(invitation, creators) for invitation in result.all()]


async def toggle_invitation(
    session: AsyncSession, *, actor: User, invitation_id: uuid.UUID
) -> InvitationPublic:
    """Disable an invitation, or enable it again (owners and admins)."""
    invitation = await _authorize_manage(session, actor=actor, invitation_id=invitation_id)
    invitation.disabled = not invitation.disabled
    session.add(invitation)
    await session.flush()
    creators = await _creators(session, invitation.team_id)
    await audit.record(
        session,
        team_id=invitation.team_id,
        actor_id=actor.id,
        action=AuditAction.INVITATION_DISABLED if invitation.disabled else AuditAction.INVITATION_ENABLED,
        subject_id=invitation.id,
        details={"role": invitation.role, "email": invitation.email},
    )
    return to_public(invitation, creators)


async def delete_invitation(session: AsyncSession, *, actor: User, invitation_id: uuid.UUID) -> None:
    """Delete an invitation; its link stops working (owners and admins)."""
    invitation = await _authorize_manage(session, actor=actor, invitation_id=invitation_id)
    await session.delete(invitation)
    await session.flush()
    await audit.record(
        session,
        team_id=invitation.team_id,
        actor_id=actor.id,
        action=AuditAction.INVITATION_DELETED,
        subject_id=invitation.id,
        details={"role": invitation.role, "email": invitation.email, "uses": invitation.uses},
    )


async def _by_token(session: AsyncSession, token: str) -> Invitation | None:
    result = await session.exec(
        select(Invitation)
        .where(Invitation.token_hash == token_hash(token))
        .execution_options(populate_existing=True)
    )
    return result.first()


async def accept_invitation(session: AsyncSession, *, actor: User, token: str) -> TeamPublic:
    """Join the team with the invited role; refused when not active, for another email, or a member."""
    if not actor.is_verified:
        raise PermissionDenied(UNVERIFIED)
    found = await _by_token(session, token)
    if found is None:
        raise NotFound(INVALID_LINK, field="token")
    team = await team_service.lock_team(session, found.team_id)
    invitation = await _by_token(session, token)
    if team is None or invitation is None:
        raise NotFound(INVALID_LINK, field="token")
    # The creator's authority is decided now, under the team lock, from their current role.
    status = status_of(invitation, vouched=creator_vouches(invitation, await _creators(session, team.id)))
    if status is not InvitationStatus.ACTIVE:
        raise Conflict(REFUSED[status], field="token")
    if invitation.email is not None and invitation.email != actor.email.lower():
        raise PermissionDenied(OTHER_EMAIL, field="token")
    if await team_service.role_of(session, team_id=team.id, user_id=actor.id) is not None:
        raise Conflict(ALREADY_MEMBER, field="token")
    role = Role(invitation.role)
    session.add(Membership(team_id=team.id, user_id=actor.id, role=role))
    invitation.uses += 1
    session.add(invitation)
    await session.flush()
    await audit.record(
        session,
        team_id=team.id,
        actor_id=actor.id,
        action=AuditAction.MEMBER_JOINED,
        subject_id=actor.id,
        details={"role": role, "invitation_id": str(invitation.id)},
    )
    INVITATIONS_ACCEPTED.inc()
    return await team_service.team_detail(session, team=team, role=role)


async def preview_invitation(session: AsyncSession, *, token: str) -> InvitationPreview:
    """What the invitation offers (team name, role, bound email, status), for the /invite page."""
    result = await session.exec(
        select(Invitation, Team.name)
        .join(Team, col(Team.id) == Invitation.team_id)
        .where(Invitation.token_hash == token_hash(token))
    )
    row = result.first()
    if row is None:
        raise NotFound(INVALID_LINK, field="token")
    invitation, team_name = row
    status = status_of(
        invitation, vouched=creator_vouches(invitation, await _creators(session, invitation.team_id))
    )
    return InvitationPreview(
        team_name=team_name, role=Role(invitation.role), email=invitation.email, status=status
    )
