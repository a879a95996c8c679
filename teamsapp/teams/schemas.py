"""Team schemas, shared by the REST API and the UI (field names as in SPEC section 9)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from teamsapp.models.base import STORABLE_TEXT
from teamsapp.models.teams import DESCRIPTION_MAX, Role
from teamsapp.models.users import NAME_MAX

MAX_INVITATION_TTL_HOURS = 720.0
AUDIT_PAGE_MAX = 100

TeamName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX, pattern=STORABLE_TEXT)
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX, pattern=STORABLE_TEXT)
]
TtlHours = Annotated[float, Field(gt=0, le=MAX_INVITATION_TTL_HOURS, allow_inf_nan=False)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamCreate(_Input):
    """POST /api/v1/team."""

    name: TeamName
    description: Description = ""


class TeamUpdate(_Input):
    """PUT /api/v1/team: the team id in the body; only the fields given change."""

    id: uuid.UUID
    name: TeamName | None = None
    description: Description | None = None


class TeamSettingsUpdate(_Input):
    """PUT /api/v1/team/{team_id}/settings: only the fields given change."""

    name: TeamName | None = None
    description: Description | None = None
    default_role: Role | None = None
    invitation_ttl_hours: TtlHours | None = None


class RoleChange(_Input):
    """PUT /api/v1/team/{team_id}/user/{user_id}."""

    role: Role


class MemberPublic(BaseModel):
    """One member of a team with their role."""

    user_id: uuid.UUID
    username: str
    full_name: str
    role: Role


class TeamSummary(BaseModel):
    """A team in the caller's list, with the caller's role in it."""

    id: uuid.UUID
    name: str
    description: str
    role: Role


class TeamPublic(TeamSummary):
    """A team with its members and settings; `role` is the caller's."""

    default_role: Role
    invitation_ttl_hours: float
    members: list[MemberPublic]


class AuditEventPublic(BaseModel):
    """One entry of a team's audit log: who did what to whom, and when."""

    id: uuid.UUID
    action: str
    actor_id: uuid.UUID | None
    actor_username: str | None
    subject_id: uuid.UUID | None
    subject_username: str | None
    details: dict[str, Any]
    created_at: dt.datetime


class AuditPage(BaseModel):
    """A page of the audit log, newest first."""

    items: list[AuditEventPublic]
    total: int
    limit: int = Field(ge=1, le=AUDIT_PAGE_MAX)
    offset: int = Field(ge=0)
