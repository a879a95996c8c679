"""Two full app instances (production build) behind a fail-over proxy, sharing PostgreSQL and Redis
(Reflex's state manager included): a role change made on one instance reaches a browser connected to
the other within two seconds, a browser whose instance dies reconnects to the other one, and a
browser session outlives a Redis outage.
"""

from __future__ import annotations

import functools
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.browser import helpers
from tests.browser.conftest import screenshot
from tests.live import CHROMIUM, CHROMIUM_ARGS
from tests.resilience.clients import PASSWORD
from tests.resilience.processes import ReflexInstance
from tests.resilience.proxy import FailoverProxy
from tests.resilience.stack import Stack

pytestmark = pytest.mark.browser

LIVE_MS = 2000
RECONNECT_MS = 30_000


class Replicas:
    """Instances A and B of the full app, and the proxy browsers reach them through."""

    def __init__(self, stack: Stack, base: Path) -> None:
        self.stack = stack
        self.proxy = FailoverProxy()
        env = {
            "BACKEND_DB_URL": stack.database_url,
            "BACKEND_REDIS_URL": stack.redis.url,
            "BACKEND_MAIL_SERVER": "127.0.0.1",
            "BACKEND_MAIL_PORT": str(stack.mailbox.port),
            # Mail links and the websocket address baked into the build point at the proxy.
            "BACKEND_PUBLIC_URL": self.proxy.url,
        }
        self.a = ReflexInstance(base=base, name="instance-a", env=env)
        self.b = ReflexInstance(base=base, name="instance-b", env=env)

    @property
    def alive(self) -> ReflexInstance:
        """An instance still running (A until a test kills it)."""
        return self.a if self.a.process is not None else self.b

    def api(self, instance: ReflexInstance, method: str, path: str, **kwargs: object) -> httpx.Response:
        """One REST call straight to an instance (not through the proxy)."""
        return httpx.request(method, f"{instance.url}{path}", timeout=15, **kwargs)  # type: ignore[arg-type]

    def verified_user(self, name: str) -> tuple[helpers.Account, dict[str, str]]:
        """A verified account made through a live instance's REST API, and its bearer header."""
        account = helpers.new_account(name)
        body = {"email": account.email, "username": account.username, "full_name": name, "password": PASSWORD}
        self.api(self.alive, "POST", "/api/v1/user", json=body).raise_for_status()
        self.stack.query('UPDATE "user" SET is_verified = true WHERE email = %s RETURNING id', account.email)
        token = self.api(
            self.alive, "POST", "/api/v1/user/auth", json={"login": account.email, "password": PASSWORD}
        )
        token.raise_for_status()
        return account, {"Authorization": f"Bearer {token.json()['access_token']}"}

    def team_with_member(self) -> tuple[str, helpers.Account, dict[str, str], str]:
        """A team joined by a member, made over REST: (team id, member, owner header, member id)."""
        _, owner = self.verified_user("owner")
        member, member_headers = self.verified_user("member")
        team_id = self.api(
            self.alive, "POST", "/api/v1/team", json={"name": "Replicas"}, headers=owner
        ).json()["id"]
        invitation = self.api(
            self.alive,
            "POST",
            "/api/v1/team/invitation",
            json={"team_id": team_id, "role": "member"},
            headers=owner,
        )
        token = invitation.json()["link"].rpartition("token=")[2]
        joined = self.api(
            self.alive,
            "POST",
            "/api/v1/team/invitation/accept",
            json={"token": token},
            headers=member_headers,
        )
        joined.raise_for_status()
        member_id = self.api(self.alive, "GET", "/api/v1/user/me", headers=member_headers).json()["id"]
        return team_id, member, owner, member_id


@pytest.fixture(scope="module")
def replicas(stack: Stack) -> Iterator[Replicas]:
    """Both instances built and serving (one after the other), and the proxy in front of them."""
    with tempfile.TemporaryDirectory(prefix="teamsapp-replicas-") as path:
        pair = Replicas(stack, Path(path))
        try:
            pair.proxy.start()
            pair.a.start()
            pair.b.start()
            yield pair
        finally:
            pair.a.kill()
            pair.b.kill()
            pair.proxy.stop()


class BrowserThread:
    """Chromium driven by sync Playwright on a thread of its own: the browser tests' session keeps
    its own Playwright (and event loop) open on the main thread, and two cannot share one thread.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._driver: Playwright | None = None
        self._browser: Browser | None = None
        self._pool.submit(self._start).result()

    def _start(self) -> None:
        self._driver = sync_playwright().start()
        self._browser = self._driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )

    def run(self, scenario: Callable[[Browser], None]) -> None:
        """Run `scenario` with the browser, on the browser's thread."""
        assert self._browser is not None
        self._pool.submit(scenario, self._browser).result()

    def close(self) -> None:
        """Close the browser and Playwright, then the thread."""

        def stop() -> None:
            if self._browser is not None:
                self._browser.close()
            if self._driver is not None:
                self._driver.stop()

        self._pool.submit(stop).result()
        self._pool.shutdown()


@pytest.fixture(scope="module")
def browsers() -> Iterator[BrowserThread]:
    """Debian's Chromium, launched as the browser tests launch it."""
    thread = BrowserThread()
    try:
        yield thread
    finally:
        thread.close()


def _team_page(chromium: Browser, replicas: Replicas, member: helpers.Account, team_id: str) -> Page:
    page = chromium.new_context(base_url=replicas.proxy.url).new_page()
    helpers.log_in(page, member)
    helpers.visit(page, f"/teams/{team_id}")
    expect(page.get_by_text("Your role: member")).to_be_visible()
    return page


def _live_across_instances(chromium: Browser, replicas: Replicas) -> None:
    replicas.proxy.targets = [replicas.b.port]
    team_id, member, owner, member_id = replicas.team_with_member()
    page = _team_page(chromium, replicas, member, team_id)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    changed = replicas.api(
        replicas.a, "PUT", f"/api/v1/team/{team_id}/user/{member_id}", json={"role": "admin"}, headers=owner
    )
    assert changed.status_code == 200, changed.text
    expect(page.get_by_text("Your role: admin")).to_be_visible(timeout=LIVE_MS)
    screenshot(page, "resilience-live-across-instances")
    assert set(replicas.proxy.connections) == {replicas.b.port}
    assert not errors, errors
    page.context.close()


def _reconnect_after_instance_death(chromium: Browser, replicas: Replicas) -> None:
    replicas.proxy.targets = [replicas.a.port, replicas.b.port]
    replicas.proxy.connections.clear()
    team_id, member, owner, member_id = replicas.team_with_member()
    page = _team_page(chromium, replicas, member, team_id)
    assert set(replicas.proxy.connections) == {replicas.a.port}

    replicas.a.kill()
    changed = replicas.api(
        replicas.b, "PUT", f"/api/v1/team/{team_id}/user/{member_id}", json={"role": "admin"}, headers=owner
    )
    assert changed.status_code == 200, changed.text
    # The socket to A is gone: the page reconnects through the proxy to B and gets the change.
    expect(page.get_by_text("Your role: admin")).to_be_visible(timeout=RECONNECT_MS)
    assert replicas.b.port in replicas.proxy.connections
    screenshot(page, "resilience-reconnected")
    page.context.close()


def _survive_redis_outage(chromium: Browser, replicas: Replicas) -> None:
    replicas.proxy.targets = [replicas.b.port]
    team_id, member, owner, member_id = replicas.team_with_member()
    page = _team_page(chromium, replicas, member, team_id)
    redis = replicas.stack.redis.process
    assert redis is not None

    # SIGSTOP: Redis stops answering but keeps its data, like a stalled host or a partition.
    os.kill(redis.pid, signal.SIGSTOP)
    try:
        login = {"login": member.email, "password": PASSWORD}
        refused = replicas.api(replicas.b, "POST", "/api/v1/user/auth", json=login)
        listed = replicas.api(replicas.b, "GET", "/api/v1/teams", headers=owner)
    finally:
        os.kill(redis.pid, signal.SIGCONT)
    assert refused.status_code == 503 and "Redis" in refused.json()["detail"], refused.text
    assert listed.status_code == 200, listed.text

    changed = replicas.api(
        replicas.b, "PUT", f"/api/v1/team/{team_id}/user/{member_id}", json={"role": "admin"}, headers=owner
    )
    assert changed.status_code == 200, changed.text
    expect(page.get_by_text("Your role: admin")).to_be_visible(timeout=RECONNECT_MS)
    helpers.visit(page, f"/teams/{team_id}")
    expect(page.get_by_text("Your role: admin")).to_be_visible()
    page.context.close()


def test_a_change_on_one_instance_reaches_a_browser_on_the_other(
    browsers: BrowserThread, replicas: Replicas
) -> None:
    browsers.run(functools.partial(_live_across_instances, replicas=replicas))


def test_a_browser_reconnects_when_its_instance_dies(browsers: BrowserThread, replicas: Replicas) -> None:
    browsers.run(functools.partial(_reconnect_after_instance_death, replicas=replicas))


def test_a_browser_session_survives_a_redis_outage(browsers: BrowserThread, replicas: Replicas) -> None:
    browsers.run(functools.partial(_survive_redis_outage, replicas=replicas))
