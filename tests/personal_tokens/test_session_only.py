"""Routes that take a log-in session only refuse every API token (403), whatever its scopes; the
token's last use is written at most once a minute; OpenAPI documents both ways in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlmodel import col

from teamsapp.auth import cache as access_cache
from teamsapp.core.db import get_engine, session_scope
from teamsapp.models import ApiToken
from teamsapp.models.base import utcnow
from tests.factories.api_tokens import bearer, make_api_token
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.users import login_sessions, reload_user
from tests.personal_tokens.helpers import token_row, token_rows

ME = "/api/v1/user/me"
# Named here so the test reads as the rule; the enumeration below catches any route added later.
NAMED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/v1/user/tokens", {"name": "more", "scopes": ["teams:write"]}),
    ("GET", "/api/v1/user/tokens", None),
    ("DELETE", "/api/v1/user/tokens/{token_id}", None),
    ("GET", "/api/v1/user/sessions", None),
    ("DELETE", "/api/v1/user/sessions", None),
    ("DELETE", "/api/v1/user/sessions/{session_id}", None),
    ("PATCH", "/api/v1/user/settings", {"full_name": "Changed By Token", "new_password": "x" * 10}),
    ("POST", "/api/v1/user/logout", None),
    ("PATCH", "/api/v1/user/appearance", {"theme": "dark"}),
    ("POST", "/api/v1/user/2fa/setup", {"current_password": DEFAULT_PASSWORD}),
    ("POST", "/api/v1/user/2fa/enable", {"code": "123456"}),
    ("POST", "/api/v1/user/2fa/disable", {"current_password": DEFAULT_PASSWORD, "code": "123456"}),
    ("POST", "/api/v1/user/2fa/recovery-codes", {"current_password": DEFAULT_PASSWORD, "code": "123456"}),
    ("GET", "/api/v1/user/me/export", None),
    ("DELETE", "/api/v1/user/me", {"current_password": DEFAULT_PASSWORD}),
    ("GET", "/api/v1/admin/users", None),
    ("PATCH", "/api/v1/admin/users/{user_id}", {"is_active": False, "is_superuser": True}),
    ("DELETE", "/api/v1/admin/users/{user_id}/sessions", None),
    ("GET", "/api/v1/admin/audit", None),
    ("GET", "/api/v1/redis", None),
    ("PUT", "/api/v1/redis", {"key": "k", "value": "v"}),
]


def _session_only_operations() -> set[tuple[str, str]]:
    from teamsapp.api import api

    return {
        (method.upper(), path)
        for path, operations in api.openapi()["paths"].items()
        for method, operation in operations.items()
        if {"OAuth2PasswordBearer": []} in operation.get("security", [])
        and {"APIToken": []} not in operation.get("security", [])
    }


def test_the_named_routes_are_session_only() -> None:
    assert {(method, path) for method, path, _ in NAMED} <= _session_only_operations()


async def test_every_session_only_route_refuses_an_all_scopes_token(client: httpx.AsyncClient) -> None:
    user = await make_user(superuser=True)
    created = await make_api_token(user)
    session_headers = await login(client, user)
    sessions = await login_sessions(user.id)
    other = await make_user()
    await login(client, other)
    ids = {"token_id": created.id, "session_id": sessions[0].id, "user_id": other.id}
    bodies = {(method, path): body for method, path, body in NAMED}
    user_before = (await reload_user(user.id)).model_dump()
    other_before = (await reload_user(other.id)).model_dump()

    refused = {}
    for method, path in sorted(_session_only_operations()):
        url = path.format(
            **{name: ids.get(name, uuid.uuid4()) for name in ("token_id", "session_id", "team_id", "user_id")}
        )
        response = await client.request(
            method, url, json=bodies.get((method, path)), params={"key": "k"}, headers=bearer(created.token)
        )
        refused[(method, path)] = (response.status_code, response.json().get("detail", ""))

    assert all(status == 403 for status, _ in refused.values()), refused
    assert all("API tokens cannot be used here" in detail for _, detail in refused.values())
    assert (await reload_user(user.id)).model_dump() == user_before
    assert (await reload_user(other.id)).model_dump() == other_before
    assert all(row.revoked_at is None for row in await login_sessions(other.id))
    assert [row.id for row in await token_rows(user.id)] == [created.id]
    assert all(row.revoked_at is None for row in await login_sessions(user.id))
    assert (await client.get(ME, headers=session_headers)).status_code == 200


async def test_the_log_in_route_takes_no_api_token_either(client: httpx.AsyncClient) -> None:
    user = await make_user()
    created = await make_api_token(user)
    response = await client.post("/api/v1/user/auth/refresh", json={"refresh_token": created.token})
    assert response.status_code == 401


@pytest.fixture
def api_token_writes() -> Iterator[list[str]]:
    """Every UPDATE of the api_token table the app sends, from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKEN"):
            seen.append(statement)

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_last_use_is_written_once_a_minute(
    client: httpx.AsyncClient, api_token_writes: list[str]
) -> None:
    owner = await make_user()
    created = await make_api_token(owner)
    headers = bearer(created.token)

    for _ in range(10):
        assert (await client.get(ME, headers=headers)).status_code == 200
    first = await token_row(created.id)

    assert len(api_token_writes) == 1
    assert first is not None and first.last_used_at is not None
    assert utcnow() - first.last_used_at < dt.timedelta(minutes=1)
    async with session_scope() as session:
        await session.exec(
            update(ApiToken)
            .where(col(ApiToken.id) == created.id)
            .values(last_used_at=utcnow() - dt.timedelta(minutes=2))
        )
        # A change made behind the services' back must say so to the workers' access caches.
        access_cache.invalidate(session, user_id=owner.id)
    api_token_writes.clear()
    for _ in range(3):
        await client.get("/api/v1/teams", headers=headers)
    assert len(api_token_writes) == 1
    later = await token_row(created.id)
    assert later is not None and later.last_used_at is not None and later.last_used_at > first.last_used_at


def test_openapi_documents_both_ways_in() -> None:
    from teamsapp.api import api

    schema = api.openapi()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["APIToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "tap_...",
        "description": schemes["APIToken"]["description"],
    }
    assert schemes["OAuth2PasswordBearer"]["type"] == "oauth2"
    me = schema["paths"][ME]["get"]
    assert me["security"] == [{"OAuth2PasswordBearer": []}, {"APIToken": []}]
    tokens = schema["paths"]["/api/v1/user/tokens"]
    assert tokens["post"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert tokens["post"]["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiTokenCreated"
    }
    listed = tokens["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["items"] == {"$ref": "#/components/schemas/ApiTokenPublic"}
