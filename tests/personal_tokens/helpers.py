"""Reading token rows back, as committed."""

from __future__ import annotations

import uuid

from sqlmodel import select

from teamsapp.core.db import session_scope
from teamsapp.models import ApiToken


async def token_rows(user_id: uuid.UUID) -> list[ApiToken]:
    """Every stored token of a user."""
    async with session_scope() as session:
        return list((await session.exec(select(ApiToken).where(ApiToken.user_id == user_id))).all())


async def token_row(token_id: uuid.UUID) -> ApiToken | None:
    """One stored token, or None once revoked."""
    async with session_scope() as session:
        return await session.get(ApiToken, token_id)
