"""Mailed one-time tokens: random, stored as keyed hashes, single use, expiring."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.errors import Invalid
from teamsapp.core.security import new_token, token_hash
from teamsapp.models import OneTimeToken, TokenPurpose
from teamsapp.models.base import utcnow
from teamsapp.observability.metrics import TOKENS_USED

LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: dt.timedelta(hours=24),
    TokenPurpose.RESET_PASSWORD: dt.timedelta(hours=1),
    TokenPurpose.CHANGE_EMAIL: dt.timedelta(hours=24),
}
BAD_TOKEN = "This link is invalid, already used or expired; ask for a new one."  # noqa: S105


@dataclasses.dataclass(frozen=True)
class UsedToken:
    user_id: uuid.UUID
    email: str | None


async def issue(
    session: AsyncSession, *, user_id: uuid.UUID, purpose: TokenPurpose, email: str | None = None
) -> str:
    """Store the hash of a new token and return the token itself (it goes only into the mail)."""
    token = new_token()
    now = utcnow()
    session.add(
        OneTimeToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=token_hash(token),
            new_email=email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    # Not counted: these are issued only for addresses with an account, behind neutral answers.
    return token


async def consume(session: AsyncSession, *, token: str, purpose: TokenPurpose) -> UsedToken:
    """Mark a live token used, atomically (two concurrent uses: one wins); anything else is a 422."""
    now = utcnow()
    result = await session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.token_hash) == token_hash(token),
            col(OneTimeToken.purpose) == purpose,
            col(OneTimeToken.used_at).is_(None),
            col(OneTimeToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(OneTimeToken.user_id), col(OneTimeToken.new_email))
    )
    row = result.first()
    if row is None:
        raise Invalid(BAD_TOKEN, field="token")
    TOKENS_USED.labels(purpose.value).inc()
    return UsedToken(user_id=row[0], email=row[1])


async def discard(
    session: AsyncSession, *, user_id: uuid.UUID, purposes: Iterable[TokenPurpose] = tuple(TokenPurpose)
) -> None:
    """Mark every live token of these purposes (all by default) used: a newer token, or a change
    that supersedes them (a reset, a new password, a new address), ends them."""
    await session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.user_id) == user_id,
            col(OneTimeToken.purpose).in_([purpose.value for purpose in purposes]),
            col(OneTimeToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
