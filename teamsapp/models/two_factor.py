"""Two-factor authentication: the TOTP secret of a user (encrypted) and their recovery codes (hashed)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from teamsapp.models.base import id_field, timestamp_field
from teamsapp.models.users import SHA256_HEX

SECRET_CIPHERTEXT_MAX = 255


class TwoFactor(SQLModel, table=True):
    """A user's TOTP secret: pending until `enabled_at` is set, then what every code is checked against."""

    __tablename__ = "two_factor"

    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", primary_key=True)
    secret_encrypted: str = Field(max_length=SECRET_CIPHERTEXT_MAX)
    # The time step of the last accepted code: a code of that step or an earlier one is a replay.
    last_used_step: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: dt.datetime = timestamp_field()
    enabled_at: dt.datetime | None = timestamp_field(nullable=True)


class RecoveryCode(SQLModel, table=True):
    """One single-use recovery code of a user, stored as a keyed hash."""

    __tablename__ = "recovery_code"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(max_length=SHA256_HEX)
    created_at: dt.datetime = timestamp_field()
    used_at: dt.datetime | None = timestamp_field(nullable=True)
