"""Account lifecycle and administration in Chromium: download my data, delete an account through the
dialog, and a superuser disabling a user whose open tab (another browser) is logged out at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, LiveServer
from tests.browser.helpers import (
    Account,
    api_headers,
    check_page,
    fill_login,
    log_in,
    new_account,
    register,
    url,
    visit,
    wait_for_mail,
)
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser

LIVE = 5000  # ms: a change made elsewhere shows on an open page without a reload


def _superuser() -> Account:
    account = new_account("root")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "teamsapp",
            "create-superuser",
            "--email",
            account.email,
            "--username",
            account.username,
            "--password-stdin",
        ],
        input=account.password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return account


def _team(server: LiveServer, account: Account, name: str) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/team", json={"name": name}, headers=api_headers(server, account), timeout=10
    )
    response.raise_for_status()
    team_id: str = response.json()["id"]
    return team_id


def _join(server: LiveServer, owner: Account, team_id: str, guest: Account) -> None:
    created = httpx.post(
        f"{server.url}/api/v1/team/invitation",
        json={"team_id": team_id, "role": "member"},
        headers=api_headers(server, owner),
        timeout=10,
    )
    created.raise_for_status()
    token = created.json()["link"].rsplit("token=", 1)[1]
    accepted = httpx.post(
        f"{server.url}/api/v1/team/invitation/accept",
        json={"token": token},
        headers=api_headers(server, guest),
        timeout=10,
    )
    accepted.raise_for_status()


def test_download_my_data_and_delete_the_account_through_the_dialog(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "leaver")
    colleague = register(live_server, mailbox, "stayer")
    _team(live_server, account, "Solo Sailors")
    blocking = _team(live_server, account, "Blocking Bees")
    _join(live_server, account, blocking, colleague)
    log_in(page, account)
    visit(page, "/settings")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    saved = download.value
    assert saved.suggested_filename == f"teamsapp-export-{account.username}.json"
    exported = json.loads(Path(saved.path()).read_text(encoding="utf-8"))
    assert exported["profile"]["email"] == account.email
    assert {m["team"]["name"] for m in exported["memberships"]} == {"Solo Sailors", "Blocking Bees"}

    page.get_by_role("button", name="Delete account").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    expect(dialog.get_by_role("alert")).to_contain_text("Blocking Bees")
    expect(dialog.get_by_text("Solo Sailors")).to_be_visible()
    expect(dialog.get_by_role("button", name="Delete my account")).to_be_disabled()
    check_page(page, "delete-account-blocked")
    dialog.get_by_role("button", name="Cancel").click()

    # The colleague becomes owner elsewhere; opening the dialog again reads the plan afresh.
    promoted = httpx.put(
        f"{live_server.url}/api/v1/team/{blocking}/user/{_user_id(live_server, colleague)}",
        json={"role": "owner"},
        headers=api_headers(live_server, account),
        timeout=10,
    )
    promoted.raise_for_status()
    page.get_by_role("button", name="Delete account").click()
    expect(dialog.get_by_text("You leave these teams")).to_be_visible()
    expect(dialog.get_by_text("Blocking Bees")).to_be_visible()
    expect(dialog.get_by_role("alert")).to_have_count(0)

    dialog.get_by_label("Current password").fill("not my password")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.locator("#delete-account-current-password-message")).to_contain_text(
        "current password is wrong"
    )

    dialog.get_by_label("Current password").fill(account.password)
    dialog.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(url("/account-deleted"))
    expect(page.get_by_role("status")).to_contain_text("Your account has been deleted.")
    check_page(page, "account-deleted")
    assert not [cookie for cookie in page.context.cookies() if cookie["name"] == "teamsapp_session"]
    visit(page, "/settings")
    expect(page).to_have_url(url("/login?next=%2Fsettings"))
    wait_for_mail(mailbox, account.email, "has been deleted")
    refused = httpx.post(
        f"{live_server.url}/api/v1/user/auth",
        json={"login": account.email, "password": account.password},
        timeout=10,
    )
    assert refused.status_code == 401
    remaining = httpx.get(
        f"{live_server.url}/api/v1/team/{blocking}", headers=api_headers(live_server, colleague), timeout=10
    )
    assert [member["username"] for member in remaining.json()["members"]] == [colleague.username]


def _user_id(server: LiveServer, account: Account) -> str:
    me = httpx.get(f"{server.url}/api/v1/user/me", headers=api_headers(server, account), timeout=10)
    me.raise_for_status()
    user_id: str = me.json()["id"]
    return user_id


def test_a_superuser_disables_a_user_whose_open_tab_is_logged_out(
    open_page: Callable[[], Page], live_server: LiveServer, mailbox: Mailbox
) -> None:
    root = _superuser()
    target = register(live_server, mailbox, "target")
    admin, watcher, victim = open_page(), open_page(), open_page()
    log_in(victim, target)
    visit(victim, "/admin")
    expect(victim.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(victim.get_by_role("table")).to_have_count(0)
    check_page(victim, "admin-not-found")
    visit(victim, "/settings")

    for tab in (admin, watcher):
        log_in(tab, root)
        visit(tab, "/admin")
        expect(tab.get_by_role("heading", name="Administration", level=1)).to_be_visible()
        tab.get_by_label("Search accounts").fill(target.username)
        tab.get_by_role("button", name="Search", exact=True).click()
        expect(tab.get_by_role("region", name="Accounts").get_by_role("row")).to_have_count(2)
    check_page(admin, "admin")

    admin.get_by_role("button", name=f"Deactivate {target.username}").click()
    expect(admin.get_by_text("Account deactivated; its sessions have ended.")).to_be_visible()

    # The user's open tab, in another browser, goes to the log-in page without doing anything.
    expect(victim).to_have_url(url("/login?next=%2Fsettings"), timeout=LIVE)
    # The other superuser's open console shows the change and the log entry, pushed.
    accounts = watcher.get_by_role("region", name="Accounts")
    expect(accounts.get_by_text("disabled", exact=True)).to_be_visible(timeout=LIVE)
    log = watcher.get_by_role("region", name="Admin audit log")
    expect(log.get_by_role("row").nth(1)).to_contain_text("user.deactivated", timeout=LIVE)
    expect(log.get_by_role("row").nth(1)).to_contain_text(target.username)

    fill_login(victim, target.username, target.password)
    expect(victim.get_by_role("alert")).to_contain_text("Account disabled")

    admin.get_by_role("button", name=f"Activate {target.username}").click()
    expect(admin.get_by_text("Account activated.")).to_be_visible()
    fill_login(victim, target.username, target.password)
    expect(victim).to_have_url(url("/settings"))


def test_forged_admin_events_from_a_plain_user_change_nothing(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    from teamsapp.ui.pages.admin import AdminState
    from teamsapp.ui.pages.team.state import TeamState
    from tests.browser.test_forged_events import COOKIE, _forge

    target = register(live_server, mailbox, "bystander")
    attacker = register(live_server, mailbox, "forger")
    target_headers = api_headers(live_server, target)
    target_id = _user_id(live_server, target)
    log_in(page, attacker)
    cookie = next(item["value"] for item in page.context.cookies() if item["name"] == COOKIE)
    admin, team = AdminState.get_full_name(), TeamState.get_full_name()
    router = {"pathname": "/admin", "asPath": "/admin", "query": {}}
    events = [
        {"name": f"{admin}.load", "payload": {}, "router_data": router},
        {
            "name": f"{admin}.change",
            "payload": {"user_id": target_id, "field": "is_active", "value": False},
            "router_data": router,
        },
        {
            "name": f"{admin}.change",
            "payload": {"user_id": target_id, "field": "is_superuser", "value": True},
            "router_data": router,
        },
        {"name": f"{admin}.end_sessions", "payload": {"user_id": target_id}, "router_data": router},
        # Answered with a message of its own, after every event before it (see test_forged_events).
        {
            "name": f"{team}.change_role",
            "payload": {"user_id": "end-of-test", "role": "none"},
            "router_data": router,
        },
    ]

    answers = json.dumps(
        _forge(live_server, page.evaluate("window.sessionStorage.getItem('token')") or "x", cookie, events)
    )

    assert "Only a superuser may do this." in answers
    assert target.email not in answers
    assert (
        httpx.get(f"{live_server.url}/api/v1/user/me", headers=target_headers, timeout=10).status_code == 200
    )
    # Still active (a new log-in works) and still no superuser (the superusers' Redis route refuses).
    fresh = api_headers(live_server, target)
    assert (
        httpx.get(
            f"{live_server.url}/api/v1/redis", params={"key": "x"}, headers=fresh, timeout=10
        ).status_code
        == 403
    )
