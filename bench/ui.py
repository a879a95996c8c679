"""The UI figures: the log-in page's first load in Chromium, and Reflex event round trips.

Interactive means both: React has hydrated the page (Reflex's providers ran their first effect,
which sets `window.__reflex`) and the backend's first state update arrived over the websocket, so
the form's events reach the server. The time is counted from navigation start.
"""

from __future__ import annotations

import asyncio
import os
import statistics
from typing import Any

import httpx

from bench import events, infra
from bench.figures import UI_INTERACTIVE_MS, UI_ROUND_TRIP_P50_MS, UI_ROUND_TRIP_P99_MS
from bench.plan import Plan
from tests.live import CHROMIUM, CHROMIUM_ARGS

LOGIN_PAGE = "/login"
PAGE_TIMEOUT_MS = 30_000
# Recorded in the page before any of its scripts run.
MARKERS_SCRIPT = """
(() => {
  window.__bench = {};
  let reflex;
  Object.defineProperty(window, "__reflex", {
    configurable: true,
    get() { return reflex; },
    set(value) { reflex = value; window.__bench.react ??= performance.now(); },
  });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (message) => {
        if (typeof message.data === "string" && message.data.includes('"delta"')) {
          window.__bench.state ??= performance.now();
        }
      });
    }
  };
})();
"""
READY = "() => window.__bench.react !== undefined && window.__bench.state !== undefined"
TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    interactive: Math.max(window.__bench.react, window.__bench.state),
    react_hydrated: window.__bench.react,
    first_state_update: window.__bench.state,
    first_contentful_paint: paint ? paint.startTime : null,
    dom_content_loaded: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    transfer_kb: performance.getEntriesByType("resource")
      .reduce((sum, entry) => sum + entry.transferSize, nav.transferSize) / 1024,
  };
}"""


async def measure(base_url: str, plan: Plan, skipped: list[str]) -> dict[str, Any]:
    """Every UI figure; a missing page or browser is skipped with its reason."""
    measured: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        login_status = (await client.get(LOGIN_PAGE, follow_redirects=True)).status_code
    if login_status != 200:
        reason = f"the {LOGIN_PAGE} page answers {login_status}: it does not exist yet"
        measured["first_load"] = {"skipped": reason}
        skipped.append(f"UI first load: {reason}")
    elif not await asyncio.to_thread(os.path.exists, CHROMIUM):
        reason = f"no Chromium at {CHROMIUM}"
        measured["first_load"] = {"skipped": reason}
        skipped.append(f"UI first load: {reason}")
    else:
        infra.log(f"first load of {LOGIN_PAGE} in Chromium")
        first = await first_load(base_url, LOGIN_PAGE, repeats=plan.page_loads)
        first["target"] = f"interactive < {UI_INTERACTIVE_MS:g} ms"
        first["target_met"] = (
            first["interactive_ms"] is not None and first["interactive_ms"] < UI_INTERACTIVE_MS
        )
        measured["first_load"] = first
    trip = await events.choose_round_trip(base_url, LOGIN_PAGE if login_status == 200 else "/")
    measured["event"] = {"name": trip.name, "path": trip.path, "why": trip.why}
    runs = {
        "one_client": (1, plan.single_client_s, 0.0),
        "sessions": (plan.sessions, plan.sessions_s, plan.think_s),
        "sessions_flat_out": (plan.sessions, plan.single_client_s, 0.0),
    }
    for name, (sessions, seconds, think) in runs.items():
        infra.log(f"Reflex event round trips: {sessions} session(s), pause {think:g} s")
        repeats = [
            await events.round_trips(base_url, trip, sessions=sessions, seconds=seconds, think_seconds=think)
            for _ in range(plan.repeats)
        ]
        measured[name] = events.median_of(repeats)
    sessions = measured["sessions"]
    measured["sessions"]["target"] = f"p50 < {UI_ROUND_TRIP_P50_MS:g} ms, p99 < {UI_ROUND_TRIP_P99_MS:g} ms"
    measured["sessions"]["target_met"] = (
        sessions["p50_ms"] is not None
        and sessions["p99_ms"] is not None
        and sessions["p50_ms"] < UI_ROUND_TRIP_P50_MS
        and sessions["p99_ms"] < UI_ROUND_TRIP_P99_MS
        and not sessions["errors"]
    )
    return measured


async def first_load(base_url: str, path: str, *, repeats: int) -> dict[str, Any]:
    """Cold loads of `path` in fresh browser contexts: the median of each timing, in ms."""
    from playwright.async_api import async_playwright

    loads: list[dict[str, float]] = []
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(repeats + 1):
                context = await browser.new_context(base_url=base_url)
                try:
                    await context.add_init_script(MARKERS_SCRIPT)
                    page = await context.new_page()
                    await page.goto(path, wait_until="load", timeout=PAGE_TIMEOUT_MS)
                    await page.wait_for_function(READY, timeout=PAGE_TIMEOUT_MS)
                    loads.append(await page.evaluate(TIMINGS))
                finally:
                    await context.close()
        finally:
            await browser.close()
    loads = loads[1:]  # the first warms the server's caches, as the HTTP warm-up does
    median = {key: _median([load[key] for load in loads]) for key in loads[0]}
    return {"path": path, "repeats": len(loads), "median_ms": median, "interactive_ms": median["interactive"]}


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), 1) if present else None
