"""The two backend addresses that set and clear the UI's HTTP-only session cookie.

A websocket cannot set a cookie, so after a log-in the browser navigates here with a one-time code
(valid for a minute, usable once) and comes back with the cookie. Mounted on the API by the Reflex
entry (`teamsapp/teamsapp.py`); left out of the OpenAPI schema, as it is not part of the REST API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from teamsapp.core.config import get_settings
from teamsapp.ui import browser_session, routes

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Query(max_length=browser_session.HANDLE_MAX)]
Next = Annotated[str, Query(max_length=routes.NEXT_MAX)]


def _redirect(path: str) -> RedirectResponse:
    response = RedirectResponse(f"{get_settings().base_url}{path}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(routes.SESSION_START)
async def start_session(code: Code = "", next: Next = routes.TEAMS) -> RedirectResponse:
    """Trade a one-time log-in code for the session cookie, then go on to `next`."""
    target = routes.safe_next(next)
    handle = await browser_session.redeem(code)
    if handle is None:
        return _redirect(routes.login(target))
    response = _redirect(target)
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


@router.get(routes.SESSION_END)
async def end_session(next: Next = routes.LOGIN) -> RedirectResponse:
    """Clear the session cookie (the log-out itself happened in the event handler), then go on."""
    response = _redirect(routes.safe_next(next, default=routes.LOGIN))
    response.delete_cookie(browser_session.COOKIE, path="/")
    return response
