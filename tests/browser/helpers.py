"""Helpers of the browser tests: accounts made through the REST API, mail, log-in, accessibility."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, screenshot
from tests.fixtures.mail import Mailbox

PASSWORD = "correct horse battery staple"
BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()
# No transition or finite animation is running (a toast fading in has no contrast of its own yet).
SETTLED = (
    "document.getAnimations().every(a => a.playState !== 'running' "
    "|| a.effect?.getComputedTiming().iterations === Infinity)"
)


@dataclasses.dataclass
class Account:
    """Someone's credentials, as the tests type them."""

    email: str
    username: str
    full_name: str
    password: str = PASSWORD


def new_account(name: str) -> Account:
    """Unique credentials (not registered yet)."""
    suffix = secrets.token_hex(4)
    return Account(email=f"{name}-{suffix}@example.com", username=f"{name}_{suffix}", full_name=name.title())


def url(path: str) -> re.Pattern[str]:
    """A pattern for an app address: the static build may add a trailing slash before the query."""
    base, _, query = path.partition("?")
    tail = r"\?" + re.escape(query) if query else r"(\?.*)?"
    return re.compile(rf"^https?://[^/]+{re.escape(base.rstrip('/'))}/?{tail}$")


def team_url() -> re.Pattern[str]:
    """The pattern of any team page."""
    return re.compile(r"^https?://[^/]+/teams/[0-9a-f-]{36}/?$")


def wait_for_mail(mailbox: Mailbox, to: str, subject_contains: str | None = None) -> EmailMessage:
    """The next unread mail for `to`, from the real SMTP server (its async API, run aside)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(
            asyncio.run, mailbox.wait_for(to=to, subject_contains=subject_contains, timeout=30)
        ).result()


def register(server: LiveServer, mailbox: Mailbox, name: str) -> Account:
    """A verified account, made the way an API client would: sign up, then the mailed token."""
    account = new_account(name)
    body = {
        "email": account.email,
        "username": account.username,
        "full_name": account.full_name,
        "password": account.password,
    }
    httpx.post(f"{server.url}/api/v1/user", json=body, timeout=10).raise_for_status()
    token = mailbox.link_token(wait_for_mail(mailbox, account.email))
    httpx.post(
        f"{server.url}/api/v1/user/verify", json={"token": token, "password": account.password}, timeout=10
    ).raise_for_status()
    return account


def api_headers(server: LiveServer, account: Account) -> dict[str, str]:
    """A bearer token for the REST API, from a log-in of its own."""
    response = httpx.post(
        f"{server.url}/api/v1/user/auth",
        json={"login": account.username, "password": account.password},
        timeout=10,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def ready(page: Page) -> None:
    """Wait until the page is hydrated and its load events ran (typing earlier reaches no handler)."""
    expect(page.locator("main[data-ready='true']")).to_be_attached()


def visit(page: Page, path: str) -> None:
    """Load an address in full, as following a link from outside does, and wait until it is ready."""
    page.goto(path)
    ready(page)


def fill_login(page: Page, login: str, password: str) -> None:
    """Type into the log-in form and send it."""
    page.get_by_label("Email or username").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_in(page: Page, account: Account) -> None:
    """Log in through the log-in page and land on the teams page."""
    visit(page, "/login")
    fill_login(page, account.username, account.password)
    expect(page).to_have_url(url("/teams"))
    expect(page.get_by_role("button", name="Account menu")).to_be_visible()


def log_out(page: Page) -> None:
    """Log out through the user menu."""
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(url("/login"))
    # Leaving the log-in page before it hydrated would leave its load event holding the tab's state
    # lock, and the next page would wait for that lock to expire.
    ready(page)


def check_page(page: Page, name: str) -> None:
    """Save a screenshot of the page and fail on any serious or critical axe-core finding."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(SETTLED)
    screenshot(page, name)
    # Toasts fade in and out while axe scans, and a half-faded toast reads as low contrast; they are
    # left out of the scan (their colours are fixed in assets/teamsapp.css).
    results = _axe.run(page, context={"exclude": [["[data-sonner-toaster]"]]})
    blocking = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert not blocking, f"accessibility problems on {name}:\n" + "\n".join(blocking)
