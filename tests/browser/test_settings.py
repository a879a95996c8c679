"""Settings in the browser: profile, email change through the mailed link, password, sessions."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import (
    api_headers,
    check_page,
    log_in,
    new_account,
    ready,
    register,
    url,
    visit,
    wait_for_mail,
)
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser


def test_profile_email_and_password(page: Page, live_server: LiveServer, mailbox: Mailbox) -> None:
    account = register(live_server, mailbox, "settler")
    log_in(page, account)
    visit(page, "/settings")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    check_page(page, "settings")

    page.get_by_label("Full name").fill("Ada King")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    page.get_by_role("button", name="Account menu").click()
    expect(page.get_by_role("menu")).to_contain_text("Ada King")
    page.keyboard.press("Escape")

    new_email = new_account("moved").email
    page.get_by_label("New email address").fill(new_email)
    page.locator("#email-current-password").fill(account.password)
    page.get_by_role("button", name="Change email").click()
    expect(page.get_by_text(f"We mailed a confirmation link to {new_email}")).to_be_visible()
    visit(page, mailbox.link(wait_for_mail(mailbox, new_email)))
    expect(page.get_by_text(f"Your email address is now {new_email}.")).to_be_visible()
    check_page(page, "email-confirm")

    visit(page, "/settings")
    page.locator("#password-current-password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("an even better passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-current-password-message")).to_contain_text("current password is wrong")
    expect(page.locator("#password-current-password")).to_have_attribute("aria-invalid", "true")

    page.locator("#password-current-password").fill(account.password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    # The browser's own session survives the change; the old password is gone for good.
    page.reload()
    ready(page)
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    refused = httpx.post(
        f"{live_server.url}/api/v1/user/auth",
        json={"login": new_email, "password": account.password},
        timeout=10,
    )
    assert refused.status_code == 401


def test_sessions_revoke_and_log_out_everywhere_else(
    open_page: Callable[[], Page], live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "traveller")
    laptop, phone = open_page(), open_page()
    log_in(laptop, account)
    log_in(phone, account)
    api_headers(live_server, account)

    visit(laptop, "/settings")
    sessions = laptop.get_by_role("region", name="Sessions").get_by_role("table")
    expect(sessions.get_by_role("row")).to_have_count(4)
    expect(sessions.get_by_text("This browser")).to_have_count(1)

    revoke_buttons = sessions.get_by_role("button", name="Revoke session from")
    revoke_buttons.first.click()
    expect(laptop.get_by_text("Session ended.")).to_be_visible()
    expect(sessions.get_by_role("row")).to_have_count(3)

    laptop.get_by_role("button", name="Log out everywhere else").click()
    laptop.get_by_role("alertdialog").get_by_role("button", name="Log out others").click()
    expect(laptop.get_by_text("Logged out everywhere else.")).to_be_visible()
    expect(sessions.get_by_role("row")).to_have_count(2)

    visit(phone, "/teams")
    expect(phone).to_have_url(url("/login?next=%2Fteams"))
