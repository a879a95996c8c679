"""The one Redis client: the real server from `BACKEND_REDIS_URL`, or an in-process stand-in."""

from __future__ import annotations

import functools
import logging

import fakeredis
from redis.asyncio import Redis

from teamsapp.core.config import get_settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "teamsapp:"
TIMEOUT_SECONDS = 2


@functools.cache
def get_redis() -> Redis:
    """The process-wide client; without `BACKEND_REDIS_URL`, fakeredis with the same API."""
    url = get_settings().redis_url
    if url:
        return Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            health_check_interval=30,
        )
    logger.warning("BACKEND_REDIS_URL is not set: using an in-process Redis stand-in (one process only)")
    return fakeredis.FakeAsyncRedis(decode_responses=True)


def key(*parts: object) -> str:
    """A namespaced Redis key: `key("ratelimit", "login", ip)` -> `teamsapp:ratelimit:login:<ip>`."""
    return KEY_PREFIX + ":".join(str(part) for part in parts)


async def close_redis() -> None:
    """Close the client's connections at shut-down."""
    if get_redis.cache_info().currsize:
        await get_redis().aclose()
        get_redis.cache_clear()
