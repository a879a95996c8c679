"""Account schemas shared by the REST API and the UI; field names are the wire contract (SPEC 9)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from teamsapp.core.security import BCRYPT_MAX_BYTES, password_too_long
from teamsapp.models.base import STORABLE_TEXT
from teamsapp.models.users import EMAIL_MAX, NAME_MAX, AccentColor, Theme

PASSWORD_MIN = 8
USERNAME_MIN = 3
TOKEN_MAX = 200
USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]+$")


def _normalize_email(value: str) -> str:
    # NFKC folds compatibility forms (a fullwidth `ada@` is `ada@`); a local part must then be ASCII
    # (no SMTPUTF8 addresses, so no homoglyph twins of an address), and an international domain is
    # kept in its ASCII (IDNA) form, so one address has one spelling.
    try:
        checked = validate_email(
            unicodedata.normalize("NFKC", value), check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None
    return (checked.ascii_email or checked.normalized).lower()


def normalize_login(value: str) -> str:
    """A log-in name spelt as accounts store theirs (an address as `Email`, a username lower-cased)."""
    value = unicodedata.normalize("NFKC", value).strip().lower()
    if "@" in value:
        try:
            return _normalize_email(value)
        except ValueError:
            return value
    return value


def _normalize_username(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).lower()
    if not USERNAME_PATTERN.match(value):
        raise ValueError("may contain only letters, digits, '_', '.' and '-'")
    return value


def check_password_bytes(value: str) -> str:
    """Refuse a password bcrypt would cut: more than 72 bytes once encoded as UTF-8."""
    if password_too_long(value):
        raise ValueError(f"must be at most {BCRYPT_MAX_BYTES} bytes (UTF-8); use a shorter password")
    return value


Email = Annotated[
    str,
    Field(max_length=EMAIL_MAX, examples=["ada@example.com"], json_schema_extra={"format": "email"}),
    AfterValidator(_normalize_email),
]
Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=USERNAME_MIN, max_length=NAME_MAX),
    Field(json_schema_extra={"pattern": r"^\s*[A-Za-z0-9_.-]+\s*$"}),
    AfterValidator(_normalize_username),
]
FullName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX, pattern=STORABLE_TEXT)
]
NewPassword = Annotated[
    str, Field(min_length=PASSWORD_MIN, max_length=BCRYPT_MAX_BYTES), AfterValidator(check_password_bytes)
]
Password = Annotated[
    str, Field(min_length=1, max_length=BCRYPT_MAX_BYTES), AfterValidator(check_password_bytes)
]
Token = Annotated[str, Field(min_length=1, max_length=TOKEN_MAX)]


class UserCreate(BaseModel):
    """Sign-up."""

    email: Email
    username: Username
    full_name: FullName
    password: NewPassword


class Appearance(BaseModel):
    theme: Theme
    accent_color: AccentColor


class UserPublic(BaseModel):
    """The user as its owner sees it (never a hash)."""

    id: uuid.UUID
    email: str
    username: str
    full_name: str
    is_verified: bool
    two_factor_enabled: bool
    appearance: Appearance


class UserProfile(BaseModel):
    """What any logged-in user may see of another."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    full_name: str


class UserSettingsUpdate(BaseModel):
    """Profile, email and password changes; the email and password need `current_password`."""

    full_name: FullName | None = None
    username: Username | None = None
    email: Email | None = None
    current_password: Password | None = None
    new_password: NewPassword | None = None


class AppearanceUpdate(BaseModel):
    theme: Theme | None = None
    accent_color: AccentColor | None = None


class LoginRequest(BaseModel):
    """Log in with an email or a username."""

    login: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=EMAIL_MAX, pattern=STORABLE_TEXT),
    ]
    password: Password


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(BaseModel):
    refresh_token: Token


class TokenRequest(BaseModel):
    """A token from a mailed link."""

    token: Token


class VerifyRequest(BaseModel):
    """A verification token and the password the account keeps: its own, or a new one."""

    token: Token
    password: NewPassword


class PasswordReset(BaseModel):
    token: Token
    password: NewPassword


class EmailRequest(BaseModel):
    email: Email


class SessionPublic(BaseModel):
    """One log-in session; `current` marks the one making the request."""

    id: uuid.UUID
    device: str
    ip: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


class Notice(BaseModel):
    """A neutral answer that tells nothing about whether an account exists."""

    detail: str
