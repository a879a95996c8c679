"""Personal API tokens made through the service, straight in the database."""

from __future__ import annotations

from collections.abc import Iterable

from teamsapp.core.db import session_scope
from teamsapp.models import User
from teamsapp.personal_tokens import service as api_token_service
from teamsapp.personal_tokens.schemas import ApiTokenCreate, ApiTokenCreated, Scope

ALL_SCOPES = tuple(Scope)


async def make_api_token(
    user: User, scopes: Iterable[Scope] = ALL_SCOPES, *, name: str = "script", days: int = 90
) -> ApiTokenCreated:
    """Issue and commit a token for `user`; the answer carries its secret."""
    data = ApiTokenCreate(name=name, scopes=list(scopes), expires_in_days=days)
    async with session_scope() as session:
        return await api_token_service.create_token(session, actor=user, data=data)


def bearer(token: str) -> dict[str, str]:
    """The header that sends a token."""
    return {"Authorization": f"Bearer {token}"}
