"""The superuser-only key-value store of the original template, in a Redis namespace of its own."""

from __future__ import annotations

from teamsapp.core import redis as core_redis
from teamsapp.core.errors import NotFound
from teamsapp.models import User
from teamsapp.users.service import require_superuser


def _key(name: str) -> str:
    return core_redis.key("kv", name)


async def get_value(*, actor: User, key: str) -> str:
    """The value stored under `key`."""
    require_superuser(actor)
    value: str | None = await core_redis.get_redis().get(_key(key))
    if value is None:
        raise NotFound("No value is stored under that key.", field="key")
    return value


async def set_value(*, actor: User, key: str, value: str) -> None:
    """Store `value` under `key`."""
    require_superuser(actor)
    await core_redis.get_redis().set(_key(key), value)
