"""Personal API tokens: issue, list, revoke, and authenticate a call with its scope (SPEC 12).

A token is `tap_` followed by 43 random URL-safe characters. Only its HMAC is stored, keyed with a
key derived from the app's secret, so a database dump holds no usable token and no hash that can be
checked offline without the secret.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import bindparam, delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import cache as access_cache
from teamsapp.core.config import get_settings
from teamsapp.core.errors import NotFound, PermissionDenied, Unauthorized
from teamsapp.models import ApiToken, User
from teamsapp.models.api_tokens import TOKEN_PREFIX_MAX
from teamsapp.models.base import utcnow
from teamsapp.personal_tokens.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenPublic, Scope

TOKEN_PREFIX = "tap_"  # noqa: S105
SECRET_BYTES = 32
LAST_USED_STEP = dt.timedelta(minutes=1)
INVALID = "This API token is not valid: it was revoked, or it never existed."
EXPIRED = "This API token has expired; create a new one in your settings."
SESSION_ONLY = (
    "API tokens cannot be used here: managing tokens, sessions, passwords, email, two-factor "
    "authentication or the account needs a log-in with your password."
)

# The token and its user in one round trip; it runs on every token-authenticated request, so it is
# built once (building and keying a statement costs more than running it), as for log-in sessions.
_TOKEN_WITH_USER = (
    select(ApiToken, User)
    .join(User, col(User.id) == col(ApiToken.user_id))
    .where(col(ApiToken.token_hash) == bindparam("token_hash"), col(User.is_active))
)


def is_api_token(credential: str) -> bool:
    """Whether a bearer credential is an API token (by its prefix) rather than a log-in's JWT."""
    return credential.startswith(TOKEN_PREFIX)


@functools.cache
def _key(signing_key: str) -> bytes:
    # A key of its own, so a token hash can never be mistaken for any other keyed hash of the app.
    return hmac.new(signing_key.encode(), b"teamsapp personal API token", hashlib.sha256).digest()


def hash_token(token: str) -> str:
    """The keyed SHA-256 of a token, as stored."""
    return hmac.new(_key(get_settings().signing_key), token.encode(), hashlib.sha256).hexdigest()


def _scopes(row: ApiToken) -> list[Scope]:
    return [Scope(name) for name in row.scopes.split()]


def _public(row: ApiToken) -> ApiTokenPublic:
    return ApiTokenPublic(
        id=row.id,
        name=row.name,
        scopes=_scopes(row),
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


async def create_token(session: AsyncSession, *, actor: User, data: ApiTokenCreate) -> ApiTokenCreated:
    """Issue a token for the actor; the secret is in this answer only."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = f"{TOKEN_PREFIX}{secret}"
    now = utcnow()
    row = ApiToken(
        user_id=actor.id,
        name=data.name,
        token_hash=hash_token(token),
        prefix=secret[:TOKEN_PREFIX_MAX],
        scopes=" ".join(data.scopes),
        created_at=now,
        expires_at=now + dt.timedelta(days=data.expires_in_days),
    )
    session.add(row)
    await session.flush()
    return ApiTokenCreated(**_public(row).model_dump(), token=token)


async def list_tokens(session: AsyncSession, *, actor: User) -> list[ApiTokenPublic]:
    """The actor's tokens, expired ones included, newest first; never a secret."""
    result = await session.exec(
        select(ApiToken)
        .where(col(ApiToken.user_id) == actor.id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id))
    )
    return [_public(row) for row in result.all()]


async def revoke_token(session: AsyncSession, *, actor: User, token_id: uuid.UUID) -> None:
    """Delete one of the actor's tokens; it stops at once, on every worker. Another's id is a 404."""
    result = await session.exec(
        delete(ApiToken)
        .where(col(ApiToken.id) == token_id, col(ApiToken.user_id) == actor.id)
        .returning(col(ApiToken.id))
    )
    if result.first() is None:
        raise NotFound("No such API token.")
    access_cache.invalidate(session, user_id=actor.id)


async def revoke_all_tokens(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Delete every token of a user (a password reset: whoever had the old password may have made some)."""
    await session.exec(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    access_cache.invalidate(session, user_id=user_id)


def refuse_for_session_only() -> PermissionDenied:
    """The refusal for a token sent to a route that needs a log-in session, whatever its scopes."""
    return PermissionDenied(SESSION_ONLY)


def _cache_key(token_hash: str) -> uuid.UUID:
    # The access cache is keyed by UUIDs; a token is known there by (half of) its keyed hash.
    return uuid.UUID(hex=token_hash[:32])


def _require_scope(scopes: frozenset[str], scope: Scope) -> None:
    if scope not in scopes:
        raise PermissionDenied(f"This API token lacks the `{scope}` scope that this call needs.")


async def authenticate(session: AsyncSession, *, token: str, scope: Scope) -> User:
    """The owner of a live token that holds `scope`; 401 for a bad or expired token, 403 naming the scope.

    Answered from the access cache, as log-in sessions are, while every revocation would reach this
    worker; an entry never outlives the token's expiry or the minute after which its last use is due.
    """
    token_hash = hash_token(token)
    now = utcnow()
    cached = access_cache.lookup_token(session, key=_cache_key(token_hash), now=now)
    if cached is not None:
        user, scopes = cached
        _require_scope(scopes, scope)
        return user
    mark = access_cache.mark()
    result = await session.exec(_TOKEN_WITH_USER, params={"token_hash": token_hash})
    row = result.first()
    if row is None:
        raise Unauthorized(INVALID)
    api_token, user = row
    if api_token.expires_at <= now:
        raise Unauthorized(EXPIRED)
    scopes = frozenset(api_token.scopes.split())
    _require_scope(scopes, scope)
    # Kept to the minute: a write at most once a minute per token, not one per request.
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_STEP:
        # Cached only from the next request, once this write is stored: a request that rolls back
        # must not leave an entry that skips the write for a minute.
        api_token.last_used_at = now
        return user
    valid_until = min(api_token.expires_at, api_token.last_used_at + LAST_USED_STEP)
    access_cache.store(
        mark, session_id=_cache_key(token_hash), user=user, valid_until=valid_until, scopes=scopes
    )
    return user
