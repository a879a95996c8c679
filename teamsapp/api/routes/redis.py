"""GET and PUT /api/v1/redis: the template's key-value routes, for superusers only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from teamsapp.api.deps import SuperUser
from teamsapp.api.errors import errors
from teamsapp.users import kv

router = APIRouter(prefix="/redis", tags=["redis"])

KEY_MAX = 200
VALUE_MAX = 10_000


class RedisValue(BaseModel):
    key: str = Field(min_length=1, max_length=KEY_MAX)
    value: str = Field(max_length=VALUE_MAX)


@router.get("", responses=errors(401, 403, 404, 503))
async def read_value(
    user: SuperUser, key: Annotated[str, Query(min_length=1, max_length=KEY_MAX)]
) -> RedisValue:
    """The value stored under `key`."""
    return RedisValue(key=key, value=await kv.get_value(actor=user, key=key))


@router.put("", responses=errors(401, 403, 503))
async def write_value(body: RedisValue, user: SuperUser) -> RedisValue:
    """Store a value under a key."""
    await kv.set_value(actor=user, key=body.key, value=body.value)
    return body
