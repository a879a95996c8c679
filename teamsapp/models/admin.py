"""The admin audit log: every action of a superuser on an account (SPEC 14)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from teamsapp.models.base import id_field, timestamp_field
from teamsapp.models.users import NAME_MAX


class AdminAuditEvent(SQLModel, table=True):
    """Who (a superuser) did what to whom (an account), when, and the change.

    The usernames are kept beside the ids, so an entry still reads once either account is gone
    (the ids then become NULL; the names are replaced by "Deleted user" when an account is deleted).
    """

    __tablename__ = "admin_audit_event"

    id: uuid.UUID = id_field()
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL", index=True)
    actor_name: str = Field(max_length=NAME_MAX)
    target_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL", index=True)
    target_name: str = Field(max_length=NAME_MAX)
    action: str = Field(max_length=50)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: dt.datetime = timestamp_field(index=True)
