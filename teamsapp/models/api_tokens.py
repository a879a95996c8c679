"""Personal API tokens: a user's long-lived, scoped credentials for programs (SPEC 12)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Field, SQLModel

from teamsapp.models.base import id_field, timestamp_field
from teamsapp.models.users import NAME_MAX, SHA256_HEX

TOKEN_PREFIX_MAX = 8
SCOPES_MAX = 200


class ApiToken(SQLModel, table=True):
    """One personal API token; only its keyed hash is stored, so a dump yields no usable token."""

    __tablename__ = "api_token"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=NAME_MAX)
    token_hash: str = Field(max_length=SHA256_HEX, unique=True, index=True)
    # The first characters of the secret after `tap_`, shown so a user can tell tokens apart.
    prefix: str = Field(max_length=TOKEN_PREFIX_MAX)
    # Space-separated, as OAuth writes scopes.
    scopes: str = Field(default="", max_length=SCOPES_MAX)
    created_at: dt.datetime = timestamp_field()
    expires_at: dt.datetime = timestamp_field()
    last_used_at: dt.datetime | None = timestamp_field(nullable=True)
