"""Access tokens: JWTs signed with one pinned algorithm, carrying the user and the log-in session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import jwt

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
    try:
        claims = jwt.decode(
            token,
            get_settings().signing_key,
            algorithms=[ALGORITHM],
            options={"require": list(REQUIRED_CLAIMS)},
        )
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            session_id=uuid.UUID(str(claims["sid"])),
            issued_at=float(claims["iat"]),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired; refresh it or log in again.") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("The access token is not valid.") from None
