"""Rate limits kept in Redis, so every worker and both doors (REST and UI) share one count.

Fixed windows: the first counted attempt starts the window and sets its expiry (once: later
attempts never move it). When Redis cannot
be reached the limited actions fail closed (`Unavailable`), since an unlimited log-in is the worse
outage.
"""

from __future__ import annotations

from redis.exceptions import RedisError

from teamsapp.core import redis as core_redis
from teamsapp.core.config import get_settings
from teamsapp.core.errors import RateLimited, Unavailable
from teamsapp.observability.metrics import RATE_LIMIT_REFUSALS

LOGIN_FAILURES = 5
LOGIN_WINDOW_SECONDS = 15 * 60
MAIL_SENDS = 3
MAIL_WINDOW_SECONDS = 10 * 60
INVITATION_MAIL_WINDOW_SECONDS = 60 * 60


def _login_keys(*, account: str, ip: str | None) -> list[str]:
    # A caller without an address gets no per-address count, never one bucket shared by all of them.
    keys = [core_redis.key("ratelimit", "login", "account", account)]
    if ip:
        keys.append(core_redis.key("ratelimit", "login", "ip", ip))
    return keys


def _unavailable(action: str) -> Unavailable:
    return Unavailable(
        f"{action} is unavailable right now (the rate limiter cannot reach Redis); try again shortly."
    )


async def attempt_login(*, account: str, ip: str | None) -> None:
    """Count a log-in attempt against the account and the address before its password is checked.

    Counting first is what makes the limit race-free: of N parallel guesses, only those that find
    the count within the limit go on to a password check. A refused attempt is not counted (it
    checked nothing), and the window's expiry is set once (`NX`), so retrying never extends it.
    """
    keys = _login_keys(account=account, ip=ip)
    try:
        async with core_redis.get_redis().pipeline(transaction=True) as pipe:
            for redis_key in keys:
                pipe.incr(redis_key)
                pipe.expire(redis_key, LOGIN_WINDOW_SECONDS, nx=True)
                pipe.ttl(redis_key)
            results = await pipe.execute()
        # The seconds left in each window the attempt went past.
        over = [int(results[3 * i + 2]) for i in range(len(keys)) if int(results[3 * i]) > LOGIN_FAILURES]
        if over:
            await _uncount(keys)
    except RedisError:
        raise _unavailable("Log-in") from None
    if over:
        RATE_LIMIT_REFUSALS.labels("login").inc()
        raise RateLimited("Too many failed log-in attempts; try again later.", retry_after=max(*over, 1))


async def _uncount(keys: list[str]) -> None:
    # Take back one counted attempt. A key that expired meanwhile would come back negative and
    # without an expiry from DECR: it is deleted instead, which is where the window would be anyway.
    redis = core_redis.get_redis()
    for redis_key in keys:
        if int(await redis.decr(redis_key)) <= 0:
            await redis.delete(redis_key)


async def forgive_login_attempt(*, account: str, ip: str | None) -> None:
    """The counted attempt had the right password (a confirmed change): it is not a failure."""
    try:
        await _uncount(_login_keys(account=account, ip=ip))
    except RedisError:
        raise _unavailable("Log-in") from None


async def clear_login_failures(*, account: str, ip: str | None) -> None:
    """A successful log-in forgives the account's failures, and takes back its own count of the address."""
    try:
        await core_redis.get_redis().delete(*_login_keys(account=account, ip=None))
        if ip:
            await _uncount(_login_keys(account=account, ip=ip)[1:])
    except RedisError:
        raise _unavailable("Log-in") from None


async def hit_mail(*, account: str) -> None:
    """Count one mail send for the account; refuse it beyond the limit."""
    redis_key = core_redis.key("ratelimit", "mail", account)
    try:
        async with core_redis.get_redis().pipeline(transaction=True) as pipe:
            pipe.incr(redis_key)
            pipe.expire(redis_key, MAIL_WINDOW_SECONDS, nx=True)
            pipe.ttl(redis_key)
            count, _, ttl = await pipe.execute()
    except RedisError:
        raise _unavailable("Sending mail") from None
    if int(count) > MAIL_SENDS:
        RATE_LIMIT_REFUSALS.labels("mail").inc()
        raise RateLimited("Too many mails requested; try again later.", retry_after=max(int(ttl), 1))


async def hit_invitation_mail(*, team: str, address: str) -> None:
    """Count one invitation mail for the team and for the recipient; refuse it past either limit.

    A refused mail gives its counts back, so a flood at one address does not use up the team's.
    """
    settings = get_settings()
    limits = {
        core_redis.key("ratelimit", "invitation-mail", "team", team): settings.invitation_mails_per_team_hour,
        core_redis.key(
            "ratelimit", "invitation-mail", "to", address
        ): settings.invitation_mails_per_address_hour,
    }
    redis = core_redis.get_redis()
    try:
        async with redis.pipeline(transaction=True) as pipe:
            for redis_key in limits:
                pipe.incr(redis_key)
                pipe.expire(redis_key, INVITATION_MAIL_WINDOW_SECONDS, nx=True)
                pipe.ttl(redis_key)
            answers = await pipe.execute()
        counts = dict(zip(limits, answers[0::3], strict=True))
        ttls = dict(zip(limits, answers[2::3], strict=True))
        over = [redis_key for redis_key, limit in limits.items() if int(counts[redis_key]) > limit]
        if over:
            async with redis.pipeline(transaction=True) as pipe:
                for redis_key in limits:
                    pipe.decr(redis_key)
                await pipe.execute()
    except RedisError:
        raise _unavailable("Sending invitations") from None
    if over:
        RATE_LIMIT_REFUSALS.labels("invitation_mail").inc()
        retry_after = max(*(int(ttls[redis_key]) for redis_key in over), 1)
        raise RateLimited(
            "Too many invitation mails for this team or this address; try again later.",
            retry_after=retry_after,
            field="email",
        )
