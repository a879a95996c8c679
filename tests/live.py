"""The production app started as a process, and the Chromium that drives it: one copy for the
browser tests, the resilience tests and the benchmark (`bench/`).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# `reflex run --env prod` builds the frontend before it serves: minutes on a busy machine.
BUILD_TIMEOUT_SECONDS = 900


def wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    *,
    log_path: Path,
    probe: str = "/api/v1/monitoring/health",
    page: str = "",
    timeout: float = BUILD_TIMEOUT_SECONDS,
    interval: float = 1.0,
    error: type[Exception] = RuntimeError,
) -> None:
    """Return once `probe` and `page` under `url` both answer 200; raise `error` if the app exits
    first or is not up within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise error(f"the app exited with {process.returncode}; see {log_path}")
        try:
            probed = httpx.get(f"{url}{probe}", timeout=2).status_code == 200
            if probed and httpx.get(f"{url}{page}", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise error(f"the app did not start within {timeout:g}s; see {log_path}")


def in_browser_thread(scenario: Callable[[Browser], None]) -> None:
    """Run `scenario` with a Chromium of its own on a thread of its own: the browser tests' session
    keeps a sync Playwright (and its event loop) open on the main thread, and two cannot share one.
    """

    def run() -> None:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                scenario(browser)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()
