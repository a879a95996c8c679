"""Real HTTP clients of the app servers: accounts made through the API, and request records."""

from __future__ import annotations

import dataclasses
import itertools
import secrets
import time
from collections.abc import Awaitable

import httpx

from tests.resilience.stack import Stack

PASSWORD = "correct horse battery staple"
REQUEST_TIMEOUT_SECONDS = 15
_addresses = itertools.count(10)


def client(base_url: str) -> httpx.AsyncClient:
    """An HTTP client with a bound on every request, so a hang shows as a timeout error."""
    return httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS)


@dataclasses.dataclass
class Account:
    """A verified user made through the API, and its bearer header once logged in."""

    id: str
    email: str
    address: str
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def new_address() -> str:
    """A client address of its own (loopback range), so per-address rate limits stay per test."""
    number = next(_addresses)
    return f"127.1.{number // 250}.{number % 250 + 1}"


async def sign_up(stack: Stack, http: httpx.AsyncClient, *, verified: bool = True) -> Account:
    """Sign up through the API; the email is marked verified in the database, as the mailed link would."""
    suffix = secrets.token_hex(5)
    email = f"r-{suffix}@example.com"
    address = new_address()
    response = await http.post(
        "/api/v1/user",
        json={"email": email, "username": f"r_{suffix}", "full_name": "Resilience", "password": PASSWORD},
        headers={"X-Forwarded-For": address},
    )
    assert response.status_code == 201, response.text
    if verified:
        stack.query('UPDATE "user" SET is_verified = true WHERE email = %s RETURNING id', email)
    return Account(id=response.json()["id"], email=email, address=address)


async def log_in(http: httpx.AsyncClient, account: Account) -> dict[str, str]:
    """Log in through the API and keep the bearer header on the account."""
    response = await http.post(
        "/api/v1/user/auth",
        json={"login": account.email, "password": PASSWORD},
        headers={"X-Forwarded-For": account.address},
    )
    assert response.status_code == 200, response.text
    account.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return account.headers


@dataclasses.dataclass
class Outcome:
    """One request as the client saw it: its status, or the transport error that cut it."""

    label: str
    started: float
    seconds: float
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Answered with a 2xx."""
        return self.status is not None and 200 <= self.status < 300


async def timed(label: str, call: Awaitable[httpx.Response]) -> tuple[Outcome, httpx.Response | None]:
    """Await a request coroutine and record how it ended."""
    started = time.monotonic()
    try:
        response = await call
    except httpx.HTTPError as error:
        return Outcome(label, started, time.monotonic() - started, None, error.__class__.__name__), None
    return Outcome(label, started, time.monotonic() - started, response.status_code), response
