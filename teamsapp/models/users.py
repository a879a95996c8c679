"""Accounts: users, their log-in sessions and the one-time tokens mailed to them."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from teamsapp.models.base import id_field, timestamp_field

EMAIL_MAX = 254
NAME_MAX = 100
SHA256_HEX = 64


class Theme(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"
    SYSTEM = "system"


class AccentColor(enum.StrEnum):
    """The Radix Themes accent colours."""

    TOMATO = "tomato"
    RED = "red"
    RUBY = "ruby"
    CRIMSON = "crimson"
    PINK = "pink"
    PLUM = "plum"
    PURPLE = "purple"
    VIOLET = "violet"
    IRIS = "iris"
    INDIGO = "indigo"
    BLUE = "blue"
    CYAN = "cyan"
    TEAL = "teal"
    JADE = "jade"
    GREEN = "green"
    GRASS = "grass"
    BROWN = "brown"
    ORANGE = "orange"
    SKY = "sky"
    MINT = "mint"
    LIME = "lime"
    YELLOW = "yellow"
    AMBER = "amber"
    GOLD = "gold"
    BRONZE = "bronze"
    GRAY = "gray"


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105
    CHANGE_EMAIL = "change_email"


class User(SQLModel, table=True):
    """A person with an account; email and username are stored lower-cased.

    An address is unique among verified accounts only: unverified ones may name an address that
    another account confirmed (see `teamsapp/users/addresses.py`).
    """

    __table_args__ = (
        Index(
            "uq_user_verified_email",
            "email",
            unique=True,
            postgresql_where=text("is_verified"),
            sqlite_where=text("is_verified"),
        ),
    )

    id: uuid.UUID = id_field()
    email: str = Field(max_length=EMAIL_MAX, index=True)
    username: str = Field(max_length=NAME_MAX, unique=True, index=True)
    full_name: str = Field(max_length=NAME_MAX)
    password_hash: str = Field(max_length=100)
    is_verified: bool = False
    is_superuser: bool = False
    two_factor_enabled: bool = False
    # False: an administrator disabled the account; it cannot log in and its tokens stop working.
    is_active: bool = True
    theme: str = Field(default=Theme.SYSTEM, max_length=10)
    accent_color: str = Field(default=AccentColor.INDIGO, max_length=20)
    password_changed_at: dt.datetime = timestamp_field()
    created_at: dt.datetime = timestamp_field()
    updated_at: dt.datetime = timestamp_field()


class LoginSession(SQLModel, table=True):
    """One log-in on one device; its refresh token rotates, and revoking it ends its tokens."""

    __tablename__ = "login_session"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    refresh_token_hash: str = Field(max_length=SHA256_HEX)
    device: str = Field(default="", max_length=255)
    ip: str = Field(default="", max_length=45)
    created_at: dt.datetime = timestamp_field()
    last_seen_at: dt.datetime = timestamp_field()
    expires_at: dt.datetime = timestamp_field()
    revoked_at: dt.datetime | None = timestamp_field(nullable=True)


class OneTimeToken(SQLModel, table=True):
    """A mailed token (verify, reset, email change): stored hashed, single-use, expiring."""

    __tablename__ = "one_time_token"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=SHA256_HEX, unique=True, index=True)
    new_email: str | None = Field(default=None, max_length=EMAIL_MAX)
    created_at: dt.datetime = timestamp_field()
    expires_at: dt.datetime = timestamp_field()
    used_at: dt.datetime | None = timestamp_field(nullable=True)
