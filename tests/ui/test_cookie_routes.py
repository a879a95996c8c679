"""The backend addresses that trade a one-time log-in code for the HTTP-only session cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from teamsapp.core.config import get_settings
from teamsapp.ui import browser_session, cookie_routes
from teamsapp.users.schemas import TokenPair


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


async def test_a_code_becomes_an_http_only_cookie_once(ui_client: httpx.AsyncClient) -> None:
    code = await browser_session.start(_pair())
    answer = await ui_client.get("/api/ui/session", params={"code": code, "next": "/teams/1"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{get_settings().base_url}/teams/1"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{browser_session.COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()

    again = await ui_client.get("/api/ui/session", params={"code": code, "next": "/teams/1"})
    assert again.status_code == 303
    assert again.headers["location"] == f"{get_settings().base_url}/login?next=%2Fteams%2F1"
    assert "set-cookie" not in again.headers


async def test_the_next_page_never_leaves_the_app(ui_client: httpx.AsyncClient) -> None:
    code = await browser_session.start(_pair())
    answer = await ui_client.get("/api/ui/session", params={"code": code, "next": "//evil.example/"})
    assert answer.headers["location"] == f"{get_settings().base_url}/teams"


async def test_bad_input_is_a_4xx(ui_client: httpx.AsyncClient) -> None:
    answer = await ui_client.get("/api/ui/session", params={"code": "x" * 500})
    assert answer.status_code == 422


async def test_log_out_clears_the_cookie(ui_client: httpx.AsyncClient) -> None:
    answer = await ui_client.get("/api/ui/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{get_settings().base_url}/login"
    assert f'{browser_session.COOKIE}=""' in answer.headers["set-cookie"]
