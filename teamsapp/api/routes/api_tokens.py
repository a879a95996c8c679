"""Personal API tokens under /api/v1/user/tokens (SPEC 12); managing them needs a log-in session."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from teamsapp.api.deps import CurrentUser, SessionDep
from teamsapp.api.errors import errors
from teamsapp.personal_tokens import service as api_token_service
from teamsapp.personal_tokens.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenPublic

router = APIRouter(prefix="/user/tokens", tags=["tokens"])

_403 = "An API token was sent: tokens are managed with a log-in session only"


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(401, 403, 422, e403=_403))
async def create_token(body: ApiTokenCreate, user: CurrentUser, session: SessionDep) -> ApiTokenCreated:
    """Create a personal API token with `scopes` (`user:read`, `teams:read`, `teams:write`).

    `token` is in this answer only: store it now. It expires after `expires_in_days` (1 to 365,
    default 90); send it as `Authorization: Bearer tap_...`.
    """
    return await api_token_service.create_token(session, actor=user, data=body)


@router.get("", responses=errors(401, 403, e403=_403))
async def list_tokens(user: CurrentUser, session: SessionDep) -> list[ApiTokenPublic]:
    """The caller's API tokens, newest first, without their secrets."""
    return await api_token_service.list_tokens(session, actor=user)


@router.delete(
    "/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422, e403=_403)
)
async def revoke_token(token_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Revoke one of the caller's API tokens; it stops working at once."""
    await api_token_service.revoke_token(session, actor=user, token_id=token_id)
