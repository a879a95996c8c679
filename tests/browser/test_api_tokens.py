"""API tokens in settings, in Chromium: create with scopes and a lifetime, copy the secret shown
once, call the REST API with it from the test, revoke it, and the next call fails. Axe checks the
section; the secret is never kept in the server-side state; forged events change nothing.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from tests.browser import test_forged_events
from tests.browser.conftest import LiveServer
from tests.browser.helpers import api_headers, check_page, log_in, register, visit
from tests.browser.test_forged_events import COOKIE, _forge
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser


def _api(
    server: LiveServer, method: str, path: str, token: str, body: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.request(
        method, f"{server.url}{path}", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=10
    )


def _in_redis(secret: str) -> list[str]:
    """The keys of the suite's Redis whose value holds `secret` (Reflex keeps its states there)."""
    client = redis.Redis.from_url(os.environ["BACKEND_REDIS_URL"])
    needle = secret.encode()
    try:
        found = []
        for key in client.scan_iter(count=500):
            kind = client.type(key)
            values: list[bytes] = []
            if kind == b"string":
                values = [client.get(key) or b""]  # type: ignore[list-item]
            elif kind == b"hash":
                values = list(client.hvals(key))  # type: ignore[arg-type]
            if any(needle in value for value in values):
                found.append(key.decode(errors="replace"))
        return found
    finally:
        client.close()


def test_create_copy_use_and_revoke_a_token(page: Page, live_server: LiveServer, mailbox: Mailbox) -> None:
    account = register(live_server, mailbox, "scripter")
    log_in(page, account)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    visit(page, "/settings")
    section = page.get_by_role("region", name="API tokens")
    expect(section.get_by_text("No API tokens yet.")).to_be_visible()

    section.get_by_label("Token name").fill("CI deploy")
    section.get_by_label(re.compile("^user:read")).check()
    section.get_by_label(re.compile("^teams:read")).check()
    section.get_by_label("Expires after").click()
    page.get_by_role("option", name="30 days").click()
    section.get_by_role("button", name="Create token").click()

    secret_field = section.get_by_label("Your new API token")
    expect(secret_field).to_have_value(re.compile(r"^tap_[A-Za-z0-9_-]{43}$"))
    expect(section.get_by_text("It is shown only this once")).to_be_visible()
    secret = secret_field.input_value()
    section.get_by_role("button", name="Copy token").click()
    expect(page.get_by_text("Token copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    row = section.get_by_role("row", name=re.compile("CI deploy"))
    expect(row).to_contain_text("user:read, teams:read")
    expect(row).to_contain_text(f"tap_{secret[4:12]}")
    expect(row).to_contain_text("Never")
    check_page(page, "settings-api-tokens")
    assert _in_redis(secret) == [], "the secret was kept in the server-side state"

    # The token works from a program, within its scopes only.
    me = _api(live_server, "GET", "/api/v1/user/me", secret)
    assert (me.status_code, me.json()["username"]) == (200, account.username)
    assert _api(live_server, "GET", "/api/v1/teams", secret).status_code == 200
    refused = _api(live_server, "POST", "/api/v1/team", secret, body={"name": "Nope"})
    assert refused.status_code == 403 and "`teams:write`" in refused.json()["detail"]
    listed = httpx.get(
        f"{live_server.url}/api/v1/user/tokens", headers=api_headers(live_server, account), timeout=10
    ).json()
    assert [item["name"] for item in listed] == ["CI deploy"] and "token" not in listed[0]

    section.get_by_role("button", name="Done, hide the token").click()
    expect(secret_field).to_be_hidden()
    assert secret_field.input_value() == ""
    visit(page, "/settings")
    expect(row).not_to_contain_text("Never")

    row.get_by_role("button", name="Revoke token CI deploy").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Revoke this token?")
    dialog.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("Token revoked.")).to_be_visible()
    expect(section.get_by_text("No API tokens yet.")).to_be_visible()
    assert _api(live_server, "GET", "/api/v1/user/me", secret).status_code == 401


def test_forged_token_events_change_nothing(
    open_page: Callable[[], Page], live_server: LiveServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from teamsapp.ui.pages.settings_tokens import ApiTokensState

    victim = register(live_server, mailbox, "tokenowner")
    intruder = register(live_server, mailbox, "tokenthief")
    created = httpx.post(
        f"{live_server.url}/api/v1/user/tokens",
        json={"name": "prod", "scopes": ["teams:write"]},
        headers=api_headers(live_server, victim),
        timeout=10,
    ).json()
    state = ApiTokensState.get_full_name()
    router = {"pathname": "/settings", "asPath": "/settings", "query": {}}
    events = [
        {"name": f"{state}.revoke", "payload": {"token_id": created["id"]}, "router_data": router},
        {
            "name": f"{state}.submit",
            "payload": {"form_data": {"name": "mine now", "scope_teams_write": "on"}},
            "router_data": router,
        },
        # Ends the run: a form refused before any log-in check answers with this message, and the
        # events of a tab run in order, so every event before it was handled.
        {"name": f"{state}.submit", "payload": {"form_data": {"name": ""}}, "router_data": router},
    ]

    monkeypatch.setattr(test_forged_events, "MARKER", "Give the token a name")
    answers = json.dumps(_forge(live_server, str(uuid.uuid4()), None, events))
    assert "/login?next=" in answers

    page = open_page()
    log_in(page, intruder)
    cookie = next(item["value"] for item in page.context.cookies() if item["name"] == COOKIE)
    answers = json.dumps(_forge(live_server, str(uuid.uuid4()), cookie, events))

    assert "No such API token." in answers
    intruder_tokens = httpx.get(
        f"{live_server.url}/api/v1/user/tokens", headers=api_headers(live_server, intruder), timeout=10
    ).json()
    assert [item["name"] for item in intruder_tokens] == ["mine now"], "the intruder made one of their own"
    victim_tokens = httpx.get(
        f"{live_server.url}/api/v1/user/tokens", headers=api_headers(live_server, victim), timeout=10
    ).json()
    assert [item["id"] for item in victim_tokens] == [created["id"]]
