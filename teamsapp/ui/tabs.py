"""Which browser tabs each user has open, so that a team change can be pushed to them.

The Reflex client token is kept here only as an address to push updates to, never as a credential:
a pushed update re-reads the data through the services as the tab's own logged-in user.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from redis.exceptions import RedisError

from teamsapp.core.redis import get_redis, key

TAB_TTL_SECONDS = 12 * 3600
TOKEN_MAX = 100


def _key(user_id: uuid.UUID) -> str:
    return key("ui", "tabs", user_id)


async def register(user_id: uuid.UUID, client_token: str) -> None:
    """Remember that `client_token` shows pages to `user_id` (refreshed on every page load)."""
    if not client_token or len(client_token) > TOKEN_MAX:
        return
    now = time.time()
    redis = get_redis()
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.zadd(_key(user_id), {client_token: now})
            pipe.zremrangebyscore(_key(user_id), "-inf", now - TAB_TTL_SECONDS)
            pipe.expire(_key(user_id), TAB_TTL_SECONDS)
            await pipe.execute()
    except RedisError:
        # Live updates are a convenience: the page still works, it just is not pushed to.
        return


async def of_users(user_ids: Iterable[uuid.UUID]) -> dict[str, uuid.UUID]:
    """The recently seen tabs of these users, each with its user."""
    now = time.time()
    users = list(user_ids)
    # One round trip for the whole team, however many members it has.
    async with get_redis().pipeline(transaction=False) as pipeline:
        for user_id in users:
            pipeline.zrangebyscore(_key(user_id), now - TAB_TTL_SECONDS, "+inf")
        found = await pipeline.execute()
    return {token: user_id for user_id, tokens in zip(users, found, strict=True) for token in tokens}


def _group_key(group: str) -> str:
    return key("ui", "tab-group", group)


async def join_group(group: str, client_token: str) -> None:
    """Remember that `client_token` shows a page of `group` (e.g. the superusers' /admin page)."""
    if not client_token or len(client_token) > TOKEN_MAX:
        return
    now = time.time()
    try:
        async with get_redis().pipeline(transaction=False) as pipe:
            pipe.zadd(_group_key(group), {client_token: now})
            pipe.zremrangebyscore(_group_key(group), "-inf", now - TAB_TTL_SECONDS)
            pipe.expire(_group_key(group), TAB_TTL_SECONDS)
            await pipe.execute()
    except RedisError:
        return


async def of_group(group: str) -> list[str]:
    """The recently seen tabs of `group`."""
    found: list[str] = await get_redis().zrangebyscore(
        _group_key(group), time.time() - TAB_TTL_SECONDS, "+inf"
    )
    return found
