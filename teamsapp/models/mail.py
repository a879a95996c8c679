"""The mail outbox: written in the action's transaction, delivered by the background sender."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from teamsapp.models.base import id_field, timestamp_field
from teamsapp.models.users import EMAIL_MAX


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMail(SQLModel, table=True):
    """One mail waiting for (or done with) delivery."""

    __tablename__ = "outbox_mail"

    id: uuid.UUID = id_field()
    to_address: str = Field(max_length=EMAIL_MAX)
    subject: str = Field(max_length=255)
    text_body: str = Field(sa_type=Text)
    html_body: str = Field(sa_type=Text)
    kind: str = Field(max_length=30)
    status: str = Field(default=MailStatus.PENDING, max_length=10, index=True)
    attempts: int = 0
    next_attempt_at: dt.datetime = timestamp_field(index=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = timestamp_field()
    sent_at: dt.datetime | None = timestamp_field(nullable=True)
