"""Access tokens: JWTs signed with one pinned algorithm, carrying the user and the log-in session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid

import jwt
from cachetools import TTLCache

from teamsapp.core.config import get_settings
from teamsapp.core.errors import Unauthorized

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "sub", "sid")


@dataclasses.dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    issued_at: float


def encode_access_token(*, user_id: uuid.UUID, session_id: uuid.UUID, now: dt.datetime) -> str:
    """A signed access token; `iat` keeps sub-second precision so a password change cuts cleanly."""
    lifetime = dt.timedelta(minutes=get_settings().access_token_minutes)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": now.timestamp(),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, get_settings().signing_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> AccessClaims:
    """The claims of a valid token; anything else (expired, other key or algorithm, no claims) is a 401."""
    # A token verified before needs only its expiry checked again (checking the signature and
    # the claims costs more than the rest of a cached access check).
    key = (get_settings().signing_key, token)
    known = _verified.get(key)
    if known is not None and time.time() < known[1]:
        return known[0]
    decoded = _decode(token)
    _verified[key] = decoded
    return decoded[0]


_verified: TTLCache[tuple[str, str], tuple[AccessClaims, float]] = TTLCache(maxsize=10_000, ttl=300)


def _decode(token: str) -> tuple[AccessClaims, float]:
    try:
        claims = jwt.decode(
            token,
            get_settings().signing_key,
            algorithms=[ALGORITHM],
            options={"require": list(REQUIRED_CLAIMS)},
        )
        access = AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            session_id=uuid.UUID(str(claims["sid"])),
            issued_at=float(claims["iat"]),
        )
        return access, float(claims["exp"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired; refresh it or log in again.") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("The access token is not valid.") from None
