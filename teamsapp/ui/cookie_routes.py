"""The two backend addresses that set and clear the UI's HTTP-only session cookie.

A websocket cannot set a cookie, so after a log-in the browser navigates here with a one-time code
(valid for a minute, usable once, and only with the binding cookie the log-in page set in that same
browser) and comes back with the cookie. Logging out is a same-origin POST: it ends the session on
the server and clears the cookie, and another site cannot make a browser do it.
Mounted on the API by the Reflex entry (`teamsapp/teamsapp.py`); left out of the OpenAPI schema, as
it is not part of the REST API.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from teamsapp.core.config import get_settings
from teamsapp.ui import browser_session, routes

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Query(max_length=browser_session.HANDLE_MAX)]
Next = Annotated[str, Query(max_length=routes.NEXT_MAX)]
CROSS_SITE = "Log out from the app's own pages."


def _redirect(path: str) -> RedirectResponse:
    response = RedirectResponse(f"{get_settings().base_url}{path}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_origin(request: Request) -> bool:
    """Whether the request comes from a page of this app (the Origin a browser sends with a POST)."""
    origin = (request.headers.get("origin") or "").lower()
    here = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    return origin in {_origin(get_settings().base_url), here}


@router.get(routes.SESSION_START)
async def start_session(request: Request, code: Code = "", next: Next = routes.TEAMS) -> RedirectResponse:
    """Trade a one-time log-in code, with this browser's binding cookie, for the session cookie."""
    target = routes.safe_next(next)
    handle = await browser_session.redeem(code, request.cookies.get(browser_session.BINDING_COOKIE))
    response = _redirect(routes.login(target) if handle is None else target)
    response.delete_cookie(browser_session.BINDING_COOKIE, path=routes.SESSION_START)
    if handle is None:
        return response
    response.set_cookie(
        browser_session.COOKIE,
        handle,
        max_age=browser_session.cookie_max_age(),
        path="/",
        httponly=True,
        secure=get_settings().base_url.startswith("https://"),
        samesite="lax",
    )
    return response


@router.post(routes.SESSION_END)
async def end_session(request: Request, next: Next = routes.LOGIN) -> Response:
    """End this browser's session on the server and clear its cookie (from the app's pages only)."""
    if not _same_origin(request):
        return PlainTextResponse(CROSS_SITE, status_code=403)
    client = browser_session.Client(
        handle=browser_session.handle_from_cookie_header(request.headers.get("cookie", "")),
        device=request.headers.get("user-agent", ""),
        ip=request.client.host if request.client else "",
    )
    await browser_session.end(client)
    response = _redirect(routes.safe_next(next, default=routes.LOGIN))
    response.delete_cookie(browser_session.COOKIE, path="/")
    return response
