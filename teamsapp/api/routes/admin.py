"""Administration under /api/v1/admin (SPEC 14): superusers only (403 for others, 401 without a token)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from teamsapp.admin import service as admin_service
from teamsapp.admin.schemas import (
    PAGE_MAX,
    QUERY_MAX,
    AdminAuditPage,
    AdminUser,
    AdminUserPage,
    AdminUserUpdate,
)
from teamsapp.api.deps import CurrentUser, SessionDep
from teamsapp.api.errors import errors
from teamsapp.models.base import STORABLE_TEXT

router = APIRouter(prefix="/admin", tags=["admin"])

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
Search = Annotated[str, Query(max_length=QUERY_MAX, pattern=STORABLE_TEXT)]


@router.get("/users", responses=errors(401, 403, 422))
async def list_users(
    user: CurrentUser, session: SessionDep, q: Search = "", limit: Limit = 20, offset: Offset = 0
) -> AdminUserPage:
    """Search and page the accounts, newest first: `q` matches email, username or full name."""
    return await admin_service.list_users(session, actor=user, q=q, limit=limit, offset=offset)


@router.patch("/users/{user_id}", responses=errors(401, 403, 404, 409, 422))
async def update_user(
    user_id: uuid.UUID, body: AdminUserUpdate, user: CurrentUser, session: SessionDep
) -> AdminUser:
    """Change `is_active`, `is_verified` or `is_superuser`; deactivating ends the user's sessions at once.

    A superuser cannot deactivate or demote themselves (409).
    """
    return await admin_service.update_user(session, actor=user, user_id=user_id, data=body)


@router.delete(
    "/users/{user_id}/sessions", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404)
)
async def end_user_sessions(user_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """End every session of the user at once."""
    await admin_service.end_sessions(session, actor=user, user_id=user_id)


@router.get("/audit", responses=errors(401, 403, 422))
async def read_admin_audit(
    user: CurrentUser, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> AdminAuditPage:
    """The admin audit log, newest first: who did what to whom, when, and the change."""
    return await admin_service.list_audit(session, actor=user, limit=limit, offset=offset)
