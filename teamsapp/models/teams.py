"""Teams, their memberships, invitations and audit events."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from teamsapp.models.base import id_field, timestamp_field
from teamsapp.models.users import EMAIL_MAX, NAME_MAX, SHA256_HEX

DESCRIPTION_MAX = 1000


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class Team(SQLModel, table=True):
    """A team and its settings."""

    id: uuid.UUID = id_field()
    name: str = Field(max_length=NAME_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    default_role: str = Field(default=Role.MEMBER, max_length=10)
    invitation_ttl_hours: float = 72.0
    created_at: dt.datetime = timestamp_field()
    updated_at: dt.datetime = timestamp_field()


class Membership(SQLModel, table=True):
    """A user's role in a team; one per team and user."""

    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: uuid.UUID = id_field()
    team_id: uuid.UUID = Field(foreign_key="team.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    role: str = Field(max_length=10)
    created_at: dt.datetime = timestamp_field()


class Invitation(SQLModel, table=True):
    """An invitation link, optionally bound to one email address."""

    id: uuid.UUID = id_field()
    team_id: uuid.UUID = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    token_hash: str = Field(max_length=SHA256_HEX, unique=True, index=True)
    role: str = Field(max_length=10)
    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    expires_at: dt.datetime = timestamp_field()
    max_uses: int | None = None
    uses: int = 0
    disabled: bool = False
    created_at: dt.datetime = timestamp_field()


class AuditEvent(SQLModel, table=True):
    """Who changed what in a team, and when."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_team_id_created_at", "team_id", "created_at"),)

    id: uuid.UUID = id_field()
    team_id: uuid.UUID = Field(foreign_key="team.id", ondelete="CASCADE")
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # Set when the actor's account is deleted (`actor_id` becomes NULL): the entry keeps a name.
    actor_name: str | None = Field(default=None, max_length=NAME_MAX)
    action: str = Field(max_length=50)
    subject_id: uuid.UUID | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: dt.datetime = timestamp_field()
