"""Appearance: applied at once, and on first paint in another browser after logging in there."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import check_page, log_in, register, visit
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser

ACCENT_9 = "getComputedStyle(document.querySelector('.radix-themes')).getPropertyValue('--accent-9').trim()"
COLOR_9 = "name => getComputedStyle(document.documentElement).getPropertyValue(`--${name}-9`).trim()"


def _shown(page: Page) -> tuple[str, str | None, str]:
    html = page.locator("html")
    classes = html.get_attribute("class") or ""
    theme = "dark" if "dark" in classes.split() else "light"
    return theme, html.get_attribute("data-accent"), page.evaluate(ACCENT_9)


def test_appearance_follows_the_user_to_another_browser(
    open_page: Callable[[], Page], browser: Browser, live_server: LiveServer, mailbox: Mailbox
) -> None:
    account = register(live_server, mailbox, "painter")
    first = open_page()
    log_in(first, account)
    visit(first, "/appearance")
    expect(first.get_by_role("heading", name="Accent colour")).to_be_visible()

    first.get_by_role("radio", name="Dark").click()
    expect(first.locator("html")).to_have_class(re.compile(r"\bdark\b"), timeout=2000)
    first.get_by_role("radio", name="Violet").click()
    expect(first.locator("html")).to_have_attribute("data-accent", "violet", timeout=2000)
    expect(first.get_by_text("Appearance saved for all your devices.").first).to_be_visible()
    assert first.evaluate(ACCENT_9) == first.evaluate(COLOR_9, "violet")
    check_page(first, "appearance")

    second = open_page()
    log_in(second, account)
    theme, accent, accent_9 = _shown(second)
    assert (theme, accent) == ("dark", "violet")
    assert accent_9 == second.evaluate(COLOR_9, "violet")

    # First paint: with the app's scripts blocked (no hydration, no websocket), the stored
    # appearance is already on the page the server sent.
    frozen = browser.new_context(base_url=live_server.url, storage_state=second.context.storage_state())
    try:
        still = frozen.new_page()

        def block_modules(route: Route) -> None:
            route.abort() if route.request.url.endswith(".js") else route.continue_()

        still.route("**/assets/**", block_modules)
        still.goto("/teams", wait_until="domcontentloaded")
        theme, accent, accent_9 = _shown(still)
        assert (theme, accent) == ("dark", "violet")
        assert accent_9 == still.evaluate(COLOR_9, "violet")
    finally:
        frozen.close()
