"""The pending second log-in step: an `mfa_token` in Redis, bound to one user, five minutes, used once."""

from __future__ import annotations

import dataclasses
import json
import uuid

from redis.exceptions import RedisError

from teamsapp.auth.schemas import MfaChallenge
from teamsapp.core import redis as core_redis
from teamsapp.core.errors import Unavailable
from teamsapp.core.security import new_token, token_hash
from teamsapp.models import User

MFA_TOKEN_SECONDS = 5 * 60


@dataclasses.dataclass(frozen=True)
class PendingLogin:
    """Whose password was right, and which password it was (a change in between ends the step)."""

    user_id: uuid.UUID
    password_changed_at: float


def redis_key(mfa_token: str) -> str:
    """Where a token's record lives; only its keyed hash is stored."""
    return core_redis.key("auth", "mfa", token_hash(mfa_token))


def _unavailable() -> Unavailable:
    return Unavailable("Log-in is unavailable right now (Redis cannot be reached); try again shortly.")


async def issue(*, user: User) -> MfaChallenge:
    """Remember that `user` gave the right password, and return the token for the code step."""
    token = new_token()
    record = json.dumps(
        {"user_id": str(user.id), "password_changed_at": user.password_changed_at.timestamp()}
    )
    try:
        await core_redis.get_redis().set(redis_key(token), record, ex=MFA_TOKEN_SECONDS)
    except RedisError:
        raise _unavailable() from None
    return MfaChallenge(mfa_token=token, expires_in=MFA_TOKEN_SECONDS)


async def peek(mfa_token: str) -> PendingLogin | None:
    """The pending log-in of a live token, without using it up (a wrong code may be retyped)."""
    try:
        raw = await core_redis.get_redis().get(redis_key(mfa_token))
    except RedisError:
        raise _unavailable() from None
    if raw is None:
        return None
    data = json.loads(raw)
    return PendingLogin(
        user_id=uuid.UUID(data["user_id"]), password_changed_at=float(data["password_changed_at"])
    )


async def consume(mfa_token: str) -> bool:
    """Use the token up; True for exactly one caller, however many race with it."""
    try:
        return bool(await core_redis.get_redis().delete(redis_key(mfa_token)))
    except RedisError:
        raise _unavailable() from None
