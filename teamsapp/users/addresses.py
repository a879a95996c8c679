"""Who an email address belongs to: the one account that confirmed it through its mailbox.

Signing up never checks whether an address is taken, so that no answer can tell (SPEC 4): every
sign-up makes an unverified account, and several may name one address. Only a confirmation by
the mailbox (a verification link, a reset link, an email-change link) gives an account the
address; at that moment the other unverified accounts naming it are deleted, so nobody else keeps
an account bearing it. A partial unique index (`uq_user_verified_email`) holds this under
concurrency.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import cache as access_cache
from teamsapp.core.errors import Conflict
from teamsapp.models import User
from teamsapp.models.base import utcnow

TAKEN = "This email address already belongs to a confirmed account: log in to it or reset its password."


async def owner_of(session: AsyncSession, *, email: str) -> User | None:
    """The account that confirmed `email`, if any."""
    result = await session.exec(select(User).where(User.email == email, col(User.is_verified).is_(True)))
    return result.first()


async def newest_claim(session: AsyncSession, *, email: str) -> User | None:
    """The most recent unverified account naming `email` (the one a new link is mailed for)."""
    result = await session.exec(
        select(User)
        .where(User.email == email, col(User.is_verified).is_(False))
        .order_by(col(User.created_at).desc())
        .limit(1)
    )
    return result.first()


async def account_for_mail(session: AsyncSession, *, email: str) -> User | None:
    """The account a mailed link for `email` is about: its owner, or else its newest claim."""
    return await owner_of(session, email=email) or await newest_claim(session, email=email)


async def confirm(session: AsyncSession, *, user: User, email: str, field: str = "token") -> None:
    """Give `email` to `user`, confirmed through its mailbox; the other claims on it are deleted.

    A `Conflict` naming `field` if another account confirmed the address first.
    """
    owner = await owner_of(session, email=email)
    if owner is not None and owner.id != user.id:
        raise Conflict(TAKEN, field=field)
    try:
        async with session.begin_nested():
            user.email = email
            user.is_verified = True
            user.updated_at = utcnow()
            session.add(user)
            await session.flush()
            squatters = await session.exec(
                delete(User)
                .where(col(User.email) == email, col(User.is_verified).is_(False), col(User.id) != user.id)
                .returning(col(User.id))
            )
            for (squatter_id,) in squatters.all():
                access_cache.invalidate(session, user_id=squatter_id)
    except IntegrityError:
        raise Conflict(TAKEN, field=field) from None
