"""The compose stack's proxy (Debian's nginx on `deploy/nginx/nginx.conf`) in front of two full app
instances (production build) sharing PostgreSQL and Redis: a UI log-in in Chromium with its
websocket through the proxy, and REST calls answered by each replica.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, WebSocket

from tests.browser import helpers
from tests.browser.conftest import screenshot
from tests.resilience.nginx import Nginx
from tests.resilience.processes import ReflexInstance
from tests.resilience.stack import Stack
from tests.resilience.test_browser_scale_out import BrowserThread
from tests.services import wait_for

pytestmark = pytest.mark.browser

CALLS = 8
UPSTREAM = re.compile(r"upstream=127\.0\.0\.1:(\d+)")


class ProxiedReplicas:
    """Instances A and B behind nginx; mail links and the build's websocket address are nginx's."""

    def __init__(self, stack: Stack, base: Path) -> None:
        self.stack = stack
        self.nginx = Nginx(base, upstreams=[])
        env = {
            "BACKEND_DB_URL": stack.database_url,
            "BACKEND_REDIS_URL": stack.redis.url,
            "BACKEND_MAIL_SERVER": "127.0.0.1",
            "BACKEND_MAIL_PORT": str(stack.mailbox.port),
            "BACKEND_PUBLIC_URL": self.nginx.url,
        }
        self.replicas = [ReflexInstance(base=base, name=f"nginx-{name}", env=env) for name in ("a", "b")]
        self.nginx.upstreams = [replica.port for replica in self.replicas]

    def start(self) -> None:
        """Build and serve both instances (side by side), then start nginx in front of them."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            for started in [pool.submit(replica.start) for replica in self.replicas]:
                started.result()
        self.nginx.start()

    def stop(self) -> None:
        """Stop nginx and both instances."""
        self.nginx.stop()
        for replica in self.replicas:
            replica.kill()


@pytest.fixture(scope="module")
def proxied(stack: Stack) -> Iterator[ProxiedReplicas]:
    with tempfile.TemporaryDirectory(prefix="teamsapp-nginx-") as path:
        pair = ProxiedReplicas(stack, Path(path))
        try:
            pair.start()
            yield pair
        finally:
            pair.stop()


def _verified_account(proxied: ProxiedReplicas) -> helpers.Account:
    account = helpers.new_account("proxied")
    body = {
        "email": account.email,
        "username": account.username,
        "full_name": account.full_name,
        "password": account.password,
    }
    httpx.post(f"{proxied.nginx.url}/api/v1/user", json=body, timeout=15).raise_for_status()
    proxied.stack.query('UPDATE "user" SET is_verified = true WHERE email = %s RETURNING id', account.email)
    return account


ME_LINE = '"GET /api/v1/user/me HTTP/1.1" 200'


def _upstreams(lines: list[str], request: str) -> list[int]:
    return [int(match[1]) for line in lines if request in line and (match := UPSTREAM.search(line))]


def test_rest_calls_through_the_proxy_reach_each_replica(proxied: ProxiedReplicas) -> None:
    account = _verified_account(proxied)
    login = {"login": account.username, "password": account.password}
    with httpx.Client(base_url=proxied.nginx.url, timeout=15) as client:
        token = client.post("/api/v1/user/auth", json=login)
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for _ in range(CALLS):
            me = client.get("/api/v1/user/me", headers=headers)
            assert me.status_code == 200, me.text
            assert me.json()["username"] == account.username

    # Each replica answered some of them (a token made by one is good on the other).
    # nginx writes an access line once the response is sent: give the last one a moment.
    wait_for(
        lambda: len(_upstreams(proxied.nginx.access_lines(), ME_LINE)) >= CALLS,
        timeout=10,
        what="an nginx access line per call",
    )
    served = _upstreams(proxied.nginx.access_lines(), ME_LINE)
    assert len(served) == CALLS
    assert set(served) == {replica.port for replica in proxied.replicas}


def _log_in_through_the_proxy(chromium: Browser, proxied: ProxiedReplicas, account: helpers.Account) -> None:
    sockets: list[WebSocket] = []
    errors: list[str] = []
    context = chromium.new_context(base_url=proxied.nginx.url)
    page = context.new_page()
    # A lambda, not the bound method: Playwright cannot take a builtin as a handler.
    page.on("websocket", lambda socket: sockets.append(socket))  # noqa: PLW0108
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        helpers.log_in(page, account)
        screenshot(page, "nginx-proxy-logged-in")
    except AssertionError as error:
        seen = "\n".join(proxied.nginx.access_lines()[-15:])
        raise AssertionError(
            f"{error}\nwebsockets: {[s.url for s in sockets]}\nerrors: {errors}\nnginx:\n{seen}"
        ) from None
    finally:
        context.close()
    assert not errors, errors
    events = [socket.url for socket in sockets if "/_event" in socket.url]
    assert events, [socket.url for socket in sockets]
    assert all(url.startswith(f"ws://127.0.0.1:{proxied.nginx.port}/_event") for url in events), events


def test_a_ui_log_in_and_its_websocket_go_through_the_proxy(
    proxied: ProxiedReplicas, browsers: BrowserThread
) -> None:
    account = _verified_account(proxied)
    browsers.run(functools.partial(_log_in_through_the_proxy, proxied=proxied, account=account))
    # nginx passed the websocket handshake on (101) to a replica.
    upgraded = _upstreams(proxied.nginx.access_lines(), "GET /_event")
    assert upgraded, proxied.nginx.access_lines()[-20:]
    assert any(" 101 " in line for line in proxied.nginx.access_lines() if "GET /_event" in line)
    assert set(upgraded) <= {replica.port for replica in proxied.replicas}
    for replica in proxied.replicas:
        log = replica.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def browsers() -> Iterator[BrowserThread]:
    thread = BrowserThread()
    try:
        yield thread
    finally:
        thread.close()
