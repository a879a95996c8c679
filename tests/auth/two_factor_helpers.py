"""Helpers of the two-factor tests: enrolment through the REST API and a clock the tests move."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pyotp

from teamsapp.models import User
from tests.factories.users import DEFAULT_PASSWORD, login

AUTH = "/api/v1/user/auth"
MFA = "/api/v1/user/auth/2fa"
SETUP = "/api/v1/user/2fa/setup"
ENABLE = "/api/v1/user/2fa/enable"
DISABLE = "/api/v1/user/2fa/disable"
RECOVERY = "/api/v1/user/2fa/recovery-codes"
ME = "/api/v1/user/me"
STEP = 30


@dataclasses.dataclass
class Clock:
    """The time the service checks codes against, set by the test (seconds since the epoch)."""

    now: float

    def code(self, secret: str, offset: int = 0) -> str:
        """The code of `secret` for the step `offset` steps from now."""
        return pyotp.TOTP(secret).at(self.now, counter_offset=offset)

    def advance(self, steps: int = 1) -> None:
        self.now += steps * STEP


@dataclasses.dataclass
class Enrolled:
    """A user with two-factor authentication on: the session that enrolled, the secret, the codes."""

    headers: dict[str, str]
    secret: str
    recovery_codes: list[str]


def real_clock() -> Clock:
    return Clock(now=time.time())


async def enrol(client: httpx.AsyncClient, user: User, clock: Clock | None = None) -> Enrolled:
    """Set up and enable two-factor authentication for `user`, through the REST API."""
    headers = await login(client, user)
    setup = await client.post(SETUP, json={"current_password": DEFAULT_PASSWORD}, headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    code = (clock or real_clock()).code(secret)
    enabled = await client.post(ENABLE, json={"code": code}, headers=headers)
    assert enabled.status_code == 200, enabled.text
    return Enrolled(headers=headers, secret=secret, recovery_codes=enabled.json()["recovery_codes"])


async def password_step(client: httpx.AsyncClient, login_name: str) -> str:
    """The first log-in step of a 2FA account: the right password gives an `mfa_token`, no tokens."""
    response = await client.post(AUTH, json={"login": login_name, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mfa_required"] is True and "access_token" not in body
    token: str = body["mfa_token"]
    return token


async def code_step(client: httpx.AsyncClient, mfa_token: str, code: str) -> httpx.Response:
    """The second log-in step."""
    return await client.post(MFA, json={"mfa_token": mfa_token, "code": code})
