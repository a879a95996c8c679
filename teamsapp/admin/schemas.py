"""Admin schemas, shared by the REST API and the /admin page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

PAGE_MAX = 100
QUERY_MAX = 254


class AdminUser(BaseModel):
    """An account as a superuser sees it."""

    id: uuid.UUID
    email: str
    username: str
    full_name: str
    is_verified: bool
    is_active: bool
    is_superuser: bool
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    two_factor_enabled: bool


class AdminUserPage(BaseModel):
    """A page of the account search."""

    items: list[AdminUser]
    total: int
    limit: int = Field(ge=1, le=PAGE_MAX)
    offset: int = Field(ge=0)


class AdminUserUpdate(BaseModel):
    """PATCH /api/v1/admin/users/{id}: only the fields given change."""

    # Strict: `0` or `"yes"` is not a yes-or-no answer to an administrator's question.
    model_config = ConfigDict(extra="forbid")

    is_active: StrictBool | None = None
    is_verified: StrictBool | None = None
    is_superuser: StrictBool | None = None


class AdminAuditEventPublic(BaseModel):
    """One admin action: who did what to whom, when, and the change."""

    id: uuid.UUID
    action: str
    actor_id: uuid.UUID | None
    actor_username: str
    target_id: uuid.UUID | None
    target_username: str
    details: dict[str, Any]
    created_at: dt.datetime


class AdminAuditPage(BaseModel):
    """A page of the admin audit log, newest first."""

    items: list[AdminAuditEventPublic]
    total: int
    limit: int = Field(ge=1, le=PAGE_MAX)
    offset: int = Field(ge=0)
