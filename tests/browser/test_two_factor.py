"""Two-factor authentication in Chromium: enrol by reading the secret off the settings page, log out,
log in with a code from the app, then with a recovery code; accessibility of the new section.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import (
    Account,
    api_headers,
    check_page,
    fill_login,
    log_in,
    log_out,
    ready,
    register,
    url,
    visit,
)
from tests.browser.test_forged_events import _forge
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser

SECTION = "Two-factor authentication"


def _enrol(page: Page, account: Account) -> tuple[str, list[str]]:
    """Turn 2FA on from the settings page; the secret and the recovery codes as the page shows them."""
    visit(page, "/settings")
    section = page.get_by_role("region", name=SECTION)
    expect(section.get_by_role("button", name="Set up two-factor authentication")).to_be_visible()
    check_page(page, "settings-two-factor")

    page.locator("#tfa-setup-current-password").fill("not my password")
    section.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.locator("#tfa-setup-current-password-message")).to_contain_text("current password is wrong")
    page.locator("#tfa-setup-current-password").fill(account.password)
    section.get_by_role("button", name="Set up two-factor authentication").click()
    qr_code = section.get_by_role("img", name="QR code to add teamsapp to your authenticator app")
    expect(qr_code).to_be_visible()
    # The image is drawn, not only its alternative text.
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 100")
    secret = page.locator("#tfa-secret").inner_text().strip()
    assert len(secret) == 32
    check_page(page, "settings-two-factor-setup")

    page.locator("#tfa-enable-code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    section.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#tfa-enable-code-message")).to_contain_text("not right")
    page.locator("#tfa-enable-code").fill(pyotp.TOTP(secret).now())
    section.get_by_role("button", name="Turn on two-factor authentication").click()
    items = section.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(items).to_have_count(10)
    codes = [text.strip() for text in items.all_inner_texts()]
    # The secret is gone from the page once it is confirmed.
    expect(page.locator("#tfa-secret")).to_have_count(0)
    check_page(page, "settings-two-factor-codes")

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    section.get_by_role("button", name="Copy codes").click()
    expect(page.get_by_text("Recovery codes copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").split() == codes
    with page.expect_download() as download:
        section.get_by_role("button", name="Download codes").click()
    saved = download.value.path().read_text()
    assert all(code in saved for code in codes)

    section.get_by_role("button", name="I have saved them").click()
    expect(section.get_by_role("list", name="Recovery codes")).to_have_count(0)
    expect(section.get_by_text("Two-factor authentication is on")).to_be_visible()
    return secret, codes


def _code_step(page: Page, account: Account) -> None:
    visit(page, "/login")
    fill_login(page, account.username, account.password)
    expect(page.get_by_label("Authentication code")).to_be_visible()


def test_enrol_then_log_in_with_a_code_and_with_a_recovery_code(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "guarded")
    log_in(page, account)
    secret, codes = _enrol(page, account)
    # From here on, nothing the server pushes to this browser may carry the secret or the codes.
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame))))
    page.reload()
    ready(page)
    expect(
        page.get_by_role("region", name=SECTION).get_by_text("Two-factor authentication is on")
    ).to_be_visible()
    me = httpx.post(
        f"{live_server.url}/api/v1/user/auth",
        json={"login": account.username, "password": account.password},
        timeout=10,
    ).json()
    assert me["mfa_required"] is True and "access_token" not in me
    log_out(page)

    _code_step(page, account)
    check_page(page, "login-code")
    page.get_by_label("Authentication code").fill(
        "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#login-code-code-message")).to_contain_text("not right")
    # The next step's code: the current one was used to turn 2FA on, and a code works only once.
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(url("/teams"))
    expect(page.get_by_role("button", name="Account menu")).to_be_visible()
    log_out(page)

    _code_step(page, account)
    page.get_by_role("button", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(url("/teams"))
    log_out(page)

    # That recovery code is used up.
    _code_step(page, account)
    page.get_by_role("button", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#login-recovery-code-message")).to_contain_text("already used")

    page.get_by_role("button", name="Start over").click()
    expect(page.get_by_label("Email or username")).to_be_visible()
    assert len(frames) > 10
    pushed = "\n".join(frames)
    assert secret not in pushed and "mfa_token" not in pushed
    assert not [code for code in codes if code in pushed]


def test_turn_off_with_password_and_a_recovery_code(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "relaxed")
    log_in(page, account)
    api_headers(live_server, account)
    _, codes = _enrol(page, account)
    # Turning 2FA on ended the other session (the API client's); the list says so at once.
    expect(page.get_by_role("region", name="Sessions").get_by_role("row")).to_have_count(2)
    page.reload()
    ready(page)
    section = page.get_by_role("region", name=SECTION)
    page.locator("#tfa-recovery-current-password").fill(account.password)
    page.locator("#tfa-recovery-code").fill(codes[0])
    section.get_by_role("button", name="Make new recovery codes").click()
    expect(section.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    fresh = [text.strip() for text in section.get_by_role("listitem").all_inner_texts()]
    assert not set(fresh) & set(codes)
    section.get_by_role("button", name="I have saved them").click()

    page.locator("#tfa-disable-current-password").fill(account.password)
    page.locator("#tfa-disable-code").fill(codes[1])
    section.get_by_role("button", name="Turn off two-factor authentication").click()
    expect(page.locator("#tfa-disable-code-message")).to_contain_text("already used")
    page.locator("#tfa-disable-code").fill(fresh[0])
    section.get_by_role("button", name="Turn off two-factor authentication").click()
    expect(page.get_by_text("Two-factor authentication is off.")).to_be_visible()
    expect(section.get_by_role("button", name="Set up two-factor authentication")).to_be_visible()
    log_out(page)
    log_in(page, account)


def test_forged_two_factor_events_change_nothing(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    from teamsapp.ui.pages.login import LoginState
    from teamsapp.ui.pages.settings_two_factor import (
        TwoFactorDisableState,
        TwoFactorRecoveryState,
        TwoFactorSetupState,
    )
    from teamsapp.ui.pages.team.state import TeamState

    account = register(live_server, mailbox, "targeted")
    headers = api_headers(live_server, account)
    api = f"{live_server.url}/api/v1/user"
    setup = httpx.post(
        f"{api}/2fa/setup", json={"current_password": account.password}, headers=headers, timeout=10
    )
    secret = setup.json()["secret"]
    enabled = httpx.post(
        f"{api}/2fa/enable", json={"code": pyotp.TOTP(secret).now()}, headers=headers, timeout=10
    )
    codes = enabled.json()["recovery_codes"]
    router = {"pathname": "/settings", "asPath": "/settings", "query": {}}

    def event(name: str, **payload: Any) -> dict[str, Any]:
        return {"name": name, "payload": payload, "router_data": router}

    with_password = {"current_password": account.password, "code": codes[0]}
    events = [
        event(f"{TwoFactorDisableState.get_full_name()}.submit", form_data=with_password),
        event(f"{TwoFactorRecoveryState.get_full_name()}.submit", form_data=with_password),
        event(
            f"{TwoFactorSetupState.get_full_name()}.submit", form_data={"current_password": account.password}
        ),
        # The code step without a password step: the mfa_token is the server's, never the browser's.
        event(f"{LoginState.get_full_name()}.submit_code", form_data={"code": codes[1]}),
        # Answered last: every event before it was handled.
        {
            "name": f"{TeamState.get_full_name()}.change_role",
            "payload": {"user_id": "end-of-test", "role": "none"},
            "router_data": {"pathname": "/teams/[team_id]", "asPath": "/teams/x", "query": {"team_id": "x"}},
        },
    ]
    answers = json.dumps(_forge(live_server, str(uuid.uuid4()), None, events))
    assert "/login?next=" in answers
    assert "Log in with your password first." in answers
    assert secret not in answers

    assert httpx.get(f"{api}/me", headers=headers, timeout=10).json()["two_factor_enabled"] is True
    for code in codes[:2]:
        challenge = httpx.post(
            f"{api}/auth", json={"login": account.email, "password": account.password}, timeout=10
        ).json()
        answer = httpx.post(
            f"{api}/auth/2fa", json={"mfa_token": challenge["mfa_token"], "code": code}, timeout=10
        )
        assert answer.status_code == 200, code
