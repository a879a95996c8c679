"""The production build served on loopback, and Chromium pages that fail on any console error."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from tests import services
from tests.live import CHROMIUM, CHROMIUM_ARGS, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SERVER_ERROR_MARKERS = (
    "Traceback (most recent call last)",
    " ERROR ",
    '"level": "ERROR"',
    '"level": "CRITICAL"',
    "[error]",
    "Exception in ASGI",
)


class LiveServer:
    """The app started with `reflex run --env prod --single-port`, as `make run` does."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def errors_since(self, offset: int) -> list[str]:
        with self.log_path.open(errors="replace") as log:
            log.seek(offset)
            return [line for line in log if any(marker in line for marker in SERVER_ERROR_MARKERS)]


def _bun_path() -> str:
    bun = shutil.which("bun")
    if bun is None:
        raise RuntimeError("bun is not on PATH: run the tests through `make test`")
    return bun


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """Build and serve the production app on a free loopback port for the whole session."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = services.free_port()
    server = LiveServer(port, ARTIFACTS / "server.log")
    env = {
        **os.environ,
        "BACKEND_PORT": str(port),
        "BACKEND_HOST": "127.0.0.1",
        "BACKEND_PUBLIC_URL": server.url,
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "GRANIAN_WORKERS": os.environ.get("GRANIAN_WORKERS", "2"),
    }
    _bun_path()
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "reflex"), "run", "--env", "prod", "--single-port"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(server.url, process, log_path=server.log_path)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def open_page(browser: Browser, live_server: LiveServer) -> Iterator[Callable[[], Page]]:
    """Open pages in fresh browser contexts (separate browsers, as two people would use).

    The test fails on a console error or page error in any of them, or an error in the server log.
    """
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    def opener() -> Page:
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        tab = context.new_page()
        tab.on("console", on_console)
        tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        return tab

    offset = live_server.log_size()
    yield opener
    for context in contexts:
        context.close()
    problems.extend(f"server log: {line.strip()}" for line in live_server.errors_since(offset))
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(open_page: Callable[[], Page]) -> Page:
    """A fresh browser context and page; the test fails on a console error or a server log error."""
    return open_page()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
