"""The backend addresses that trade a one-time log-in code for the HTTP-only session cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from teamsapp.auth import service as auth_service
from teamsapp.core.config import get_settings
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Unauthorized
from teamsapp.ui import browser_session, cookie_routes
from teamsapp.users.schemas import TokenPair
from tests.factories.users import DEFAULT_PASSWORD, make_user


@pytest.fixture
async def ui_client(app_lifespan: None) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(cookie_routes.router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


def _pair() -> TokenPair:
    return TokenPair(access_token="a", refresh_token="r", expires_in=900)


def _binding(binding: str) -> dict[str, str]:
    return {"Cookie": f"{browser_session.BINDING_COOKIE}={binding}"}


async def test_a_code_becomes_an_http_only_cookie_once(ui_client: httpx.AsyncClient) -> None:
    code, binding = await browser_session.start(_pair())
    answer = await ui_client.get(
        "/api/ui/session", params={"code": code, "next": "/teams/1"}, headers=_binding(binding)
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{get_settings().base_url}/teams/1"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(browser_session.COOKIE))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()

    again = await ui_client.get(
        "/api/ui/session", params={"code": code, "next": "/teams/1"}, headers=_binding(binding)
    )
    assert again.status_code == 303
    assert again.headers["location"] == f"{get_settings().base_url}/login?next=%2Fteams%2F1"
    assert not [c for c in again.headers.get_list("set-cookie") if c.startswith(f"{browser_session.COOKIE}=")]


async def test_the_next_page_never_leaves_the_app(ui_client: httpx.AsyncClient) -> None:
    code, binding = await browser_session.start(_pair())
    answer = await ui_client.get(
        "/api/ui/session", params={"code": code, "next": "//evil.example/"}, headers=_binding(binding)
    )
    assert answer.headers["location"] == f"{get_settings().base_url}/teams"


async def test_bad_input_is_a_4xx(ui_client: httpx.AsyncClient) -> None:
    answer = await ui_client.get("/api/ui/session", params={"code": "x" * 500})
    assert answer.status_code == 422


async def test_a_code_without_its_binding_cookie_is_refused(ui_client: httpx.AsyncClient) -> None:
    code, binding = await browser_session.start(_pair())
    for headers in ({}, _binding("someone-elses")):
        fresh, _ = await browser_session.start(_pair())
        answer = await ui_client.get("/api/ui/session", params={"code": fresh}, headers=headers)
        assert answer.headers["location"] == f"{get_settings().base_url}/login?next=%2Fteams"
        assert not [
            c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{browser_session.COOKIE}=")
        ]
    answer = await ui_client.get("/api/ui/session", params={"code": code}, headers=_binding(binding))
    assert answer.headers["location"] == f"{get_settings().base_url}/teams"


async def _browser_logged_in() -> tuple[str, str]:
    user = await make_user()
    async with session_scope() as session:
        pair = await auth_service.login(
            session, login=user.email, password=DEFAULT_PASSWORD, device="t", ip=""
        )
    code, binding = await browser_session.start(pair)
    handle = await browser_session.redeem(code, binding)
    assert handle is not None
    return handle, pair.access_token


async def _alive(access_token: str) -> bool:
    async with session_scope() as session:
        try:
            await auth_service.authenticate(session, access_token=access_token)
        except Unauthorized:
            return False
    return True


async def test_log_out_ends_the_session_on_the_server_and_clears_the_cookie(
    ui_client: httpx.AsyncClient,
) -> None:
    handle, access_token = await _browser_logged_in()
    answer = await ui_client.post(
        "/api/ui/logout",
        headers={"Origin": get_settings().base_url, "Cookie": f"{browser_session.COOKIE}={handle}"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{get_settings().base_url}/login"
    assert f'{browser_session.COOKIE}=""' in answer.headers["set-cookie"]
    assert not await _alive(access_token)
    assert await browser_session._load(handle) is None


async def test_log_out_cannot_be_triggered_from_another_site(ui_client: httpx.AsyncClient) -> None:
    handle, access_token = await _browser_logged_in()
    cookie = {"Cookie": f"{browser_session.COOKIE}={handle}"}
    assert (await ui_client.get("/api/ui/logout", headers=cookie)).status_code == 405
    for origin in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        refused = await ui_client.post("/api/ui/logout", headers={**cookie, **origin})
        assert refused.status_code == 403
        assert "set-cookie" not in refused.headers
    assert await _alive(access_token)
    assert await browser_session._load(handle) is not None
