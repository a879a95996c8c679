"""Teams, members, invitations and the audit log under /api/v1/team (SPEC 5).

Each route reads the request and calls one service; the services decide every permission.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from teamsapp.api.deps import SessionDep, TeamsReader, TeamsWriter, VerifiedTeamsWriter
from teamsapp.api.errors import Responses, errors
from teamsapp.invitations import service as invitation_service
from teamsapp.invitations.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationPreview,
    InvitationPublic,
)
from teamsapp.teams import service as team_service
from teamsapp.teams.schemas import (
    AUDIT_PAGE_MAX,
    AuditPage,
    RoleChange,
    TeamCreate,
    TeamPublic,
    TeamSettingsUpdate,
    TeamUpdate,
)

router = APIRouter(prefix="/team", tags=["team"])

OFFSET_MAX = 1_000_000

_DESCRIPTIONS = {
    401: "No valid access token",
    403: "A member of the team without the right for this",
    404: "No such team, or the caller is not a member of it (its existence is not revealed)",
    409: "The change clashes with the team's state",
    422: "Invalid input; `field` names it",
    429: "Rate limited; retry after `Retry-After` seconds",
    503: "Redis is down: rate-limited actions fail closed",
}


def team_errors(*codes: int, **described: str) -> Responses:
    """`responses=` for the error statuses of a team route; `e403="..."` overrides a description."""
    return errors(*codes, wording=_DESCRIPTIONS, **described)


_INVITATION_ERRORS = team_errors(
    401, 403, 404, 422, e404="No such invitation, or the caller is not a member of its team"
)
_MEMBER_404 = "No such team, the caller is not a member, or the user is not a member"


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=team_errors(401, 403, 422, e403="Email not verified")
)
async def create_team(body: TeamCreate, session: SessionDep, user: VerifiedTeamsWriter) -> TeamPublic:
    """Create a team; the caller (with a verified email) becomes its owner."""
    return await team_service.create_team(session, actor=user, data=body)


@router.put("", responses=team_errors(401, 403, 404, 422))
async def update_team(body: TeamUpdate, session: SessionDep, user: TeamsWriter) -> TeamPublic:
    """Change the name or description of the team whose id is in the body (owners and admins)."""
    return await team_service.update_team(session, actor=user, data=body)


@router.post(
    "/invitation",
    status_code=status.HTTP_201_CREATED,
    responses=team_errors(
        401,
        403,
        404,
        422,
        429,
        503,
        e403="Not an owner or admin, or an admin inviting an owner",
        e429="Too many invitation mails for this team or this address; retry after `Retry-After` seconds",
        e503="Redis is down: invitation mails fail closed",
    ),
)
async def create_invitation(
    body: InvitationCreate, session: SessionDep, user: TeamsWriter
) -> InvitationCreated:
    """Invite to a team (owners and admins). `link` is in this answer only; with `email` it is mailed too.

    `role` and `ttl_hours` default to the team's settings; an invitation sent to an email address
    can be accepted once, by a user with that verified address.
    """
    return await invitation_service.create_invitation(session, actor=user, data=body)


@router.post(
    "/invitation/accept",
    responses=team_errors(
        401,
        403,
        404,
        409,
        422,
        e403="Email not verified, or the invitation was sent to another address",
        e404="The token matches no invitation",
        e409="The invitation is disabled, revoked, expired or used up, or the caller is already a member",
    ),
)
async def accept_invitation(
    body: InvitationAccept, session: SessionDep, user: VerifiedTeamsWriter
) -> TeamPublic:
    """Join the team with the invited role, using the token from the invitation link."""
    return await invitation_service.accept_invitation(session, actor=user, token=body.token)


@router.post(
    "/invitation/preview", responses=team_errors(401, 404, 422, e404="The token matches no invitation")
)
async def preview_invitation(
    body: InvitationAccept, session: SessionDep, _user: TeamsReader
) -> InvitationPreview:
    """What an invitation offers (team name, role, bound email, status), before accepting it."""
    return await invitation_service.preview_invitation(session, token=body.token)


@router.get("/invitation/{invitation_id}", responses=_INVITATION_ERRORS)
async def get_invitation(
    invitation_id: uuid.UUID, session: SessionDep, user: TeamsReader
) -> InvitationPublic:
    """One invitation: role, status (active, disabled, revoked, expired, used_up), uses, expiry."""
    return await invitation_service.get_invitation(session, actor=user, invitation_id=invitation_id)


@router.put("/invitation/{invitation_id}/toggle", responses=_INVITATION_ERRORS)
async def toggle_invitation(
    invitation_id: uuid.UUID, session: SessionDep, user: TeamsWriter
) -> InvitationPublic:
    """Disable an invitation, or enable it again (owners and admins; owners for owner invitations)."""
    return await invitation_service.toggle_invitation(session, actor=user, invitation_id=invitation_id)


@router.delete(
    "/invitation/{invitation_id}/delete",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_INVITATION_ERRORS,
)
async def delete_invitation(invitation_id: uuid.UUID, session: SessionDep, user: TeamsWriter) -> None:
    """Delete an invitation; its link stops working (owners and admins; owners for owner invitations)."""
    await invitation_service.delete_invitation(session, actor=user, invitation_id=invitation_id)


@router.get("/{team_id}", responses=team_errors(401, 404, 422))
async def get_team(team_id: uuid.UUID, session: SessionDep, user: TeamsReader) -> TeamPublic:
    """The team, its members with their roles, and the caller's role (members)."""
    return await team_service.get_team(session, actor=user, team_id=team_id)


@router.delete(
    "/{team_id}", status_code=status.HTTP_204_NO_CONTENT, responses=team_errors(401, 403, 404, 422)
)
async def delete_team(team_id: uuid.UUID, session: SessionDep, user: TeamsWriter) -> None:
    """Delete the team with its memberships, invitations and audit log (owners)."""
    await team_service.delete_team(session, actor=user, team_id=team_id)


@router.put("/{team_id}/settings", responses=team_errors(401, 403, 404, 422))
async def update_settings(
    team_id: uuid.UUID, body: TeamSettingsUpdate, session: SessionDep, user: TeamsWriter
) -> TeamPublic:
    """Change the name, description, default invitation role or invitation lifetime (owners and admins)."""
    return await team_service.update_settings(session, actor=user, team_id=team_id, data=body)


@router.get("/{team_id}/invitations", responses=team_errors(401, 403, 404, 422))
async def list_invitations(
    team_id: uuid.UUID, session: SessionDep, user: TeamsReader
) -> list[InvitationPublic]:
    """Every invitation of the team, newest first, with its computed status (owners and admins)."""
    return await invitation_service.list_invitations(session, actor=user, team_id=team_id)


@router.get("/{team_id}/audit", responses=team_errors(401, 403, 404, 422))
async def list_audit_events(
    team_id: uuid.UUID,
    session: SessionDep,
    user: TeamsReader,
    limit: Annotated[int, Query(ge=1, le=AUDIT_PAGE_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> AuditPage:
    """The team's audit log, newest first: who changed what, to whom, and when (owners and admins)."""
    return await team_service.list_audit_events(
        session, actor=user, team_id=team_id, limit=limit, offset=offset
    )


@router.put(
    "/{team_id}/user/{user_id}",
    responses=team_errors(
        401,
        403,
        404,
        409,
        422,
        e403="Not allowed: admins switch members between member and admin; owners do the rest",
        e404=_MEMBER_404,
        e409="The last owner cannot be demoted",
    ),
)
async def change_role(
    team_id: uuid.UUID, user_id: uuid.UUID, body: RoleChange, session: SessionDep, user: TeamsWriter
) -> TeamPublic:
    """Give a member another role; making someone owner is an owner's act. Answers the updated team."""
    return await team_service.change_role(
        session, actor=user, team_id=team_id, user_id=user_id, role=body.role
    )


@router.delete(
    "/{team_id}/user/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=team_errors(
        401,
        403,
        404,
        409,
        422,
        e403="Not allowed: admins remove members only; owners remove anyone",
        e404=_MEMBER_404,
        e409="The last owner cannot leave",
    ),
)
async def remove_member(
    team_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, user: TeamsWriter
) -> None:
    """Remove a member, or leave the team when `user_id` is the caller's own id."""
    await team_service.remove_member(session, actor=user, team_id=team_id, user_id=user_id)
