"""Request dependencies, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.db import session_scope
from teamsapp.core.redis import get_redis


async def _session() -> AsyncIterator[AsyncSession]:
    async with session_scope() as session:
        yield session


# scope="function": the transaction commits before the response is sent, so a 2xx means it is stored.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
RedisDep = Annotated[Redis, Depends(get_redis)]
