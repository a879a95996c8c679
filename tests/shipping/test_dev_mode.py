"""`make dev` (hot reload): the pages on BACKEND_PORT, the backend on the next port, and an edit
to a page reaches the open browser. It runs in a copy of the app, whose files the test edits.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.live import in_browser_thread
from tests.resilience.processes import ROOT, ReflexInstance


def test_make_dev_runs_the_instances_command() -> None:
    recipe = re.search(r"^dev:.*\n\t(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe is not None and recipe.group(1) == "$(BIN)/reflex run --env dev"


@pytest.mark.browser
@pytest.mark.timeout(1200)
def test_make_dev_serves_pages_and_the_api_and_reloads_an_edited_page(tmp_path: Path) -> None:
    app = ReflexInstance(base=tmp_path, name="dev", env={"BACKEND_ENVIRONMENT": "dev"}, dev=True)
    app.env["BACKEND_PUBLIC_URL"] = app.url
    app.start()
    try:
        health = httpx.get(f"{app.backend_url}/api/v1/monitoring/health", timeout=10)
        assert health.status_code == 200, health.text

        def scenario(browser: Browser) -> None:
            page = browser.new_page(base_url=app.url)
            page.goto("/login")
            expect(page.get_by_role("heading", name="Log in")).to_be_visible(timeout=60_000)
            login_module = app.dir / "teamsapp" / "ui" / "pages" / "login.py"
            source = login_module.read_text()
            assert source.count('        "Log in",\n') == 1
            login_module.write_text(source.replace('        "Log in",\n', '        "Welcome back",\n'))
            # No reload by the test: the dev server pushes the rebuilt page to the open tab.
            expect(page.get_by_role("heading", name="Welcome back")).to_be_visible(timeout=180_000)

        in_browser_thread(scenario)
    finally:
        app.stop()
    assert "Address already in use" not in app.log()
