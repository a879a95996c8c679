"""API token schemas, shared by the REST API and the settings page (SPEC 12)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from teamsapp.models.users import NAME_MAX

LIFETIME_DAYS_MIN = 1
LIFETIME_DAYS_MAX = 365
LIFETIME_DAYS_DEFAULT = 90
NAMED_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"


class Scope(enum.StrEnum):
    """What a token may do: read the user's profile, read teams, or change teams."""

    USER_READ = "user:read"
    TEAMS_READ = "teams:read"
    TEAMS_WRITE = "teams:write"


def _canonical(scopes: list[Scope]) -> list[Scope]:
    # Each scope once, in the order of the enum, whatever order the client sent.
    return [scope for scope in Scope if scope in scopes]


def _check_name(value: str) -> str:
    # Written for people: the settings page shows these messages as they are.
    value = value.strip()
    if not value:
        raise ValueError("give the token a name, such as “CI deploy”")
    if len(value) > NAME_MAX:
        raise ValueError(f"use at most {NAME_MAX} characters for the name")
    if "\x00" in value:
        raise ValueError("the name cannot contain a NUL character")
    return value


TokenName = Annotated[
    str,
    AfterValidator(_check_name),
    # What the check accepts, for OpenAPI: some character other than a space, no NUL.
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": NAME_MAX, "pattern": NAMED_TEXT}),
]
Scopes = Annotated[list[Scope], Field(max_length=len(Scope) * 2), AfterValidator(_canonical)]


class ApiTokenCreate(BaseModel):
    """POST /api/v1/user/tokens: a name to recognise it by, its scopes and its lifetime in days."""

    model_config = ConfigDict(extra="forbid")

    name: TokenName
    scopes: Scopes
    expires_in_days: int = Field(default=LIFETIME_DAYS_DEFAULT, ge=LIFETIME_DAYS_MIN, le=LIFETIME_DAYS_MAX)


class ApiTokenPublic(BaseModel):
    """A token as listed: never its secret; `prefix` is the start of the secret after `tap_`."""

    id: uuid.UUID
    name: str
    scopes: list[Scope]
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None


class ApiTokenCreated(ApiTokenPublic):
    """The answer to a creation: `token` is the secret, given in this answer only."""

    token: str
