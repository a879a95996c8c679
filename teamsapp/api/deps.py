"""Request dependencies, as `Annotated` aliases."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from redis.asyncio import Redis
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import service as auth_service
from teamsapp.auth.service import Principal
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Unauthorized
from teamsapp.core.redis import get_redis
from teamsapp.models import User
from teamsapp.users import service as user_service

TOKEN_URL = "/api/v1/user/auth"  # noqa: S105
DEVICE_MAX = 255


READ_METHODS = frozenset({"GET", "HEAD"})


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(read_only=request.method in READ_METHODS) as session:
        yield session


# scope="function": the transaction commits before the response is sent, so a 2xx means it is stored.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
RedisDep = Annotated[Redis, Depends(get_redis)]

# auto_error=False: a missing token becomes our own 401 body instead of FastAPI's.
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def _principal(session: SessionDep, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    if not token:
        raise Unauthorized("Not authenticated: send `Authorization: Bearer <access token>`.")
    return await auth_service.authenticate(session, access_token=token)


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


async def _user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(_user)]


async def _verified_user(user: CurrentUser) -> User:
    user_service.require_verified(user)
    return user


VerifiedUser = Annotated[User, Depends(_verified_user)]


async def _superuser(user: CurrentUser) -> User:
    user_service.require_superuser(user)
    return user


SuperUser = Annotated[User, Depends(_superuser)]


@dataclasses.dataclass(frozen=True)
class Client:
    """Where a request comes from: its address and its device (the User-Agent)."""

    ip: str
    device: str


async def _client(request: Request) -> Client:
    host = request.client.host if request.client else ""
    return Client(ip=host, device=request.headers.get("user-agent", "")[:DEVICE_MAX])


ClientDep = Annotated[Client, Depends(_client)]
