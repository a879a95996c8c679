"""Log-in codes work only in the browser that logged in; log-out ends the session, from our pages only."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import httpx
import pytest
import redis
from playwright.sync_api import Page, Route, expect

from teamsapp.core.redis import key
from teamsapp.core.security import token_hash
from tests.browser.conftest import LiveServer
from tests.browser.helpers import fill_login, log_in, log_out, ready, register, url, visit
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser

COOKIE = "teamsapp_session"
EVIL = "http://evil.example"


def _session_cookie(page: Page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == COOKIE), None)


def _access_token(handle: str) -> str:
    """The access token the server keeps for a browser's cookie (read as the server reads it)."""
    client = redis.Redis.from_url(os.environ["BACKEND_REDIS_URL"], decode_responses=True)
    record = client.get(key("ui", "session", token_hash(handle)))
    assert isinstance(record, str)
    return str(re.search(r'"access_token": "([^"]+)"', record).group(1))  # type: ignore[union-attr]


def _me(server: LiveServer, access_token: str) -> int:
    return httpx.get(
        f"{server.url}/api/v1/user/me", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    ).status_code


def test_a_log_in_code_works_only_in_the_browser_that_logged_in(
    open_page: Callable[[], Page], live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "planted")
    attacker = open_page()
    visit(attacker, "/login")

    def hold(route: Route) -> None:
        # The attacker keeps their own code instead of using it (a 204 leaves the page where it is).
        route.fulfill(status=204)

    attacker.route("**/api/ui/session?*", hold)
    with attacker.expect_request("**/api/ui/session?*", timeout=15_000) as handoff:
        fill_login(attacker, account.username, account.password)
    code_url = handoff.value.url
    assert "code=" in code_url

    victim = open_page()
    victim.goto(code_url)
    expect(victim).to_have_url(url("/login?next=%2Fteams"))
    ready(victim)
    assert _session_cookie(victim) is None
    visit(victim, "/teams")
    expect(victim).to_have_url(url("/login?next=%2Fteams"))
    expect(victim.get_by_role("button", name="Account menu")).to_have_count(0)

    # The person who logs in in their own browser gets in as usual.
    own = open_page()
    log_in(own, account)
    assert _session_cookie(own) is not None


def test_log_out_ends_the_session_and_another_site_cannot_log_anyone_out(
    open_page: Callable[[], Page], live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "leaver")
    page = open_page()
    log_in(page, account)
    handle = _session_cookie(page)
    assert handle is not None
    access_token = _access_token(handle)

    evil = page.context.new_page()
    form = f"<form method='post' action='{live_server.url}/api/ui/logout'></form>"
    evil.route(f"{EVIL}/**", lambda route: route.fulfill(content_type="text/html", body=form))
    evil.goto(f"{EVIL}/")
    with evil.expect_navigation():
        evil.evaluate("document.forms[0].submit()")
    assert evil.content().count("Log out from the app") == 1
    evil.goto(f"{live_server.url}/api/ui/logout")  # a plain link: not a log-out either
    evil.close()
    assert _session_cookie(page) == handle
    assert _me(live_server, access_token) == 200
    visit(page, "/teams")
    expect(page.get_by_role("button", name="Account menu")).to_be_visible()

    log_out(page)
    assert _session_cookie(page) is None
    assert _me(live_server, access_token) == 401
    visit(page, "/teams")
    expect(page).to_have_url(url("/login?next=%2Fteams"))
