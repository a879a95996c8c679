"""The production build serves the home page and Swagger UI to Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_home_page_renders(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="teamsapp")).to_be_visible()
    screenshot(page, "home")


def test_swagger_ui_renders(page: Page) -> None:
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("teamsapp")
    expect(page.get_by_text("/api/v1/echo")).to_be_visible()
    screenshot(page, "api-docs")
