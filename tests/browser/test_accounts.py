"""Accounts in the browser: sign-up through the mailed link, log-in and out, reset, private pages."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import (
    api_headers,
    check_page,
    fill_login,
    log_in,
    log_out,
    new_account,
    ready,
    register,
    url,
    visit,
    wait_for_mail,
)
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser


def test_sign_up_verify_log_in_and_out(page: Page, mailbox: Mailbox) -> None:
    account = new_account("ada")
    visit(page, "/signup")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    expect(page.locator("#signup-password-message")).to_contain_text("should have at least 8 characters")
    expect(page.locator("#signup-email-message")).to_contain_text("valid email address")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    check_page(page, "signup-errors")

    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Full name").fill(account.full_name)
    page.get_by_label("Password").fill(account.password)
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "false")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "false")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We sent a confirmation link to")).to_be_visible()
    check_page(page, "signup-sent")

    visit(page, mailbox.link(wait_for_mail(mailbox, account.email)))
    expect(page.get_by_role("form", name="Confirm your email address")).to_be_visible()
    check_page(page, "verify-password")
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    check_page(page, "verify")

    page.get_by_role("main").get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    check_page(page, "login")
    fill_login(page, account.email, account.password)
    expect(page).to_have_url(url("/teams"))
    expect(page.get_by_role("button", name="Account menu")).to_contain_text(account.username)

    log_out(page)
    visit(page, "/teams")
    expect(page).to_have_url(url("/login?next=%2Fteams"))


def test_a_taken_username_is_shown_next_to_its_field(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    taken = register(live_server, mailbox, "grace")
    account = new_account("hopper")
    visit(page, "/signup")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Username").fill(taken.username)
    page.get_by_label("Full name").fill(account.full_name)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#signup-username-message")).to_contain_text("taken")


def test_forgot_password_through_the_mailed_link(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "reset")
    visit(page, "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    check_page(page, "forgot-password")
    page.get_by_label("Email").fill(account.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("a link to reset the password is on its way")).to_be_visible()

    visit(page, mailbox.link(wait_for_mail(mailbox, account.email)))
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    check_page(page, "reset-password")
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_role("button", name="Set password").click()
    expect(page).to_have_url(url("/login"))

    fill_login(page, account.username, account.password)
    expect(page.get_by_role("alert")).to_contain_text("Wrong login or password")
    fill_login(page, account.username, "a brand new passphrase")
    expect(page).to_have_url(url("/teams"))


def test_a_private_page_sends_to_log_in_and_back(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "returning")
    visit(page, "/settings")
    expect(page).to_have_url(url("/login?next=%2Fsettings"))
    fill_login(page, account.username, account.password)
    expect(page).to_have_url(url("/settings"))
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()


def test_the_log_in_is_a_real_session_that_rest_can_end(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "session")
    log_in(page, account)
    headers = api_headers(live_server, account)
    sessions = httpx.get(f"{live_server.url}/api/v1/user/sessions", headers=headers, timeout=10).json()
    browser_sessions = [item for item in sessions if "Chrom" in item["device"] and not item["current"]]
    assert len(browser_sessions) == 1, sessions
    # The tokens never reach the browser: its only credential is an HTTP-only cookie.
    cookies = page.context.cookies()
    assert [cookie["name"] for cookie in cookies] == ["teamsapp_session"]
    assert cookies[0]["httpOnly"]
    storage = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert "eyJ" not in storage, "a JWT is stored in the browser"

    revoked = httpx.delete(
        f"{live_server.url}/api/v1/user/sessions/{browser_sessions[0]['id']}", headers=headers, timeout=10
    )
    assert revoked.status_code in (200, 204)
    visit(page, "/settings")
    expect(page).to_have_url(url("/login?next=%2Fsettings"))


def test_the_mailbox_owner_takes_over_an_account_someone_else_opened_with_their_address(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    victim = new_account("victim")
    squatter = dataclasses.replace(new_account("squatter"), password="the squatter's password")
    body = {
        "email": victim.email,
        "username": squatter.username,
        "full_name": squatter.full_name,
        "password": squatter.password,
    }
    httpx.post(f"{live_server.url}/api/v1/user", json=body, timeout=10).raise_for_status()
    squatter_session = api_headers(live_server, squatter)

    visit(page, mailbox.link(wait_for_mail(mailbox, victim.email)))
    page.get_by_label("Password").fill(victim.password)
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()

    me = httpx.get(f"{live_server.url}/api/v1/user/me", headers=squatter_session, timeout=10)
    assert me.status_code == 401
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    fill_login(page, victim.email, victim.password)
    expect(page).to_have_url(url("/teams"))


def test_verify_without_a_link_offers_a_new_one(page: Page) -> None:
    visit(page, "/verify")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button", name="Send a new link").click()
    expect(page.get_by_text("a new link is on its way")).to_be_visible()
    check_page(page, "verify-resend")


def test_unknown_addresses_get_the_404_page(browser: Browser, live_server: LiveServer) -> None:
    # Not the `page` fixture: the browser rightly logs the document's 404 status as a console error.
    context = browser.new_context(base_url=live_server.url)
    try:
        lost = context.new_page()
        errors: list[str] = []
        lost.on("pageerror", lambda error: errors.append(str(error)))
        lost.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        response = lost.goto("/no/such/page")
        assert response is not None
        assert response.status == 404
        ready(lost)
        expect(lost.get_by_role("heading", name="Page not found")).to_be_visible()
        check_page(lost, "not-found")
        assert [error for error in errors if "status of 404" not in error] == []
    finally:
        context.close()


def test_home_page_is_accessible(page: Page) -> None:
    visit(page, "/")
    expect(page.get_by_role("button", name="Create an account")).to_be_visible()
    check_page(page, "home-logged-out")
