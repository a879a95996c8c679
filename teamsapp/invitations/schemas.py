"""Invitation schemas, shared by the REST API and the UI (field names as in SPEC section 9)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from teamsapp.models.teams import Role
from teamsapp.models.users import EMAIL_MAX
from teamsapp.teams.schemas import TtlHours

TOKEN_MAX = 200
MAX_USES_LIMIT = 10_000


class InvitationStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    # Its creator left the team, was removed, or may no longer invite with its role.
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


class InvitationCreate(BaseModel):
    """POST /api/v1/team/invitation; `role` and `ttl_hours` default to the team's settings."""

    model_config = ConfigDict(extra="forbid")

    team_id: uuid.UUID
    role: Role | None = None
    email: Annotated[EmailStr, Field(max_length=EMAIL_MAX)] | None = None
    ttl_hours: TtlHours | None = None
    max_uses: Annotated[int, Field(ge=1, le=MAX_USES_LIMIT)] | None = None


class InvitationAccept(BaseModel):
    """POST /api/v1/team/invitation/accept (and the preview): the token from the link."""

    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, Field(min_length=1, max_length=TOKEN_MAX)]


class InvitationPublic(BaseModel):
    """An invitation as owners and admins see it; `status` is computed when read."""

    id: uuid.UUID
    team_id: uuid.UUID
    role: Role
    email: str | None
    status: InvitationStatus
    uses: int
    max_uses: int | None
    expires_at: dt.datetime
    created_at: dt.datetime
    created_by_id: uuid.UUID | None


class InvitationCreated(InvitationPublic):
    """The answer to creating an invitation: the only time its link is shown."""

    link: str


class InvitationPreview(BaseModel):
    """What the /invite page shows before the visitor accepts."""

    team_name: str
    role: Role
    email: str | None
    status: InvitationStatus
