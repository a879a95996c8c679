"""Account lifecycle schemas, shared by the REST API and the UI."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from teamsapp.users.schemas import Password

CODE_MAX = 64

# A TOTP (6 digits) or a recovery code; checked once two-factor authentication exists.
Code = Annotated[str, Field(min_length=1, max_length=CODE_MAX, pattern=r"^[A-Za-z0-9 -]+$")]


class AccountDelete(BaseModel):
    """DELETE /api/v1/user/me: the current password and, with two-factor authentication on, a code."""

    model_config = ConfigDict(extra="forbid")

    current_password: Password
    code: Code | None = None


class TeamRef(BaseModel):
    """A team named in a deletion plan."""

    id: uuid.UUID
    name: str


class DeletionPlan(BaseModel):
    """What deleting the account would do now: `blocking` teams stop it (their last owner, with others)."""

    deleted_teams: list[TeamRef]
    left_teams: list[TeamRef]
    blocking: list[TeamRef]
    sessions: int
