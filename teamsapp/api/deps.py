"""Request dependencies, as `Annotated` aliases."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from redis.asyncio import Redis
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import service as auth_service
from teamsapp.auth.service import Principal
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Unauthorized
from teamsapp.core.redis import get_redis
from teamsapp.models import User
from teamsapp.personal_tokens import service as api_token_service
from teamsapp.personal_tokens.schemas import Scope
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


# The second way in, for programs: a personal API token, accepted only where a route says so.
_api_token = HTTPBearer(
    scheme_name="APIToken",
    bearerFormat="tap_...",
    description="A personal API token (`tap_...`, made under /api/v1/user/tokens); only routes "
    "that list this scheme accept it, and only with the scope they need.",
    auto_error=False,
)
NOT_AUTHENTICATED = "Not authenticated: send `Authorization: Bearer <access token>`."


async def _principal(session: SessionDep, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    # Sessions only, the default: a route accepts API tokens only through the aliases below.
    if not token:
        raise Unauthorized(NOT_AUTHENTICATED)
    if api_token_service.is_api_token(token):
        raise api_token_service.refuse_for_session_only()
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


class _TokenOrSession:
    """The caller by a log-in session, or by an API token that holds `scope`."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(
        self,
        session: SessionDep,
        token: Annotated[str | None, Depends(_bearer)],
        _api: Annotated[HTTPAuthorizationCredentials | None, Depends(_api_token)],
    ) -> User:
        # `_api` reads the same header; it is here so OpenAPI lists both schemes for the route.
        if not token:
            raise Unauthorized(NOT_AUTHENTICATED)
        if api_token_service.is_api_token(token):
            return await api_token_service.authenticate(session, token=token, scope=self.scope)
        return (await auth_service.authenticate(session, access_token=token)).user


def token_or_session(scope: Scope) -> Any:
    """A dependency: the caller by a log-in session, or by an API token with `scope` (403 naming it)."""
    return Depends(_TokenOrSession(scope))


UserReader = Annotated[User, token_or_session(Scope.USER_READ)]
TeamsReader = Annotated[User, token_or_session(Scope.TEAMS_READ)]
TeamsWriter = Annotated[User, token_or_session(Scope.TEAMS_WRITE)]


async def _verified_teams_writer(user: TeamsWriter) -> User:
    user_service.require_verified(user)
    return user


VerifiedTeamsWriter = Annotated[User, Depends(_verified_teams_writer)]


@dataclasses.dataclass(frozen=True)
class Client:
    """Where a request comes from: its address and its device (the User-Agent)."""

    ip: str
    device: str


async def _client(request: Request) -> Client:
    host = request.client.host if request.client else ""
    return Client(ip=host, device=request.headers.get("user-agent", "")[:DEVICE_MAX])


ClientDep = Annotated[Client, Depends(_client)]
