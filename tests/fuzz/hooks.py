"""Schemathesis hooks (loaded by the CLI through SCHEMATHESIS_HOOKS): who each fuzzed request acts as.

- Superuser routes (`/api/v1/redis`, `/api/v1/admin/...`) run as the superuser. An admin change
  aimed at one of the run's own accounts (an id fed from an earlier answer) is aimed at a stand-in
  account instead, so the run never disables or logs out the users it acts as.
- Deleting the account (`DELETE /api/v1/user/me`) runs as a fresh account signed up for the case.
- Operations that end log-in sessions (log out, revoke sessions) run as a second verified user with a
  fresh session per case, so they never end the session the rest of the run uses.
- Operations on API tokens run as a fourth user, so the fuzzer never revokes the token of the run.
- Everything else runs as the main verified user; with `FUZZ_API_TOKEN` set, every operation that
  takes an API token (its `security` lists `APIToken`) sends that token (all scopes) instead.

Logins come from an address of their own (X-Forwarded-For, trusted from loopback) so the fuzzer's
own failed log-ins, which the per-address limit counts, never lock the run's users out.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import httpx
import schemathesis

LOGIN_ADDRESS = "127.0.0.2"
API_TOKENS = "/api/v1/user/tokens"
SESSION_ENDING = {
    ("POST", "/api/v1/user/logout"),
    ("DELETE", "/api/v1/user/sessions"),
    ("DELETE", "/api/v1/user/sessions/{session_id}"),
}


def _login(login: str) -> str:
    response = httpx.post(
        f"{os.environ['FUZZ_BASE_URL']}/api/v1/user/auth",
        json={"login": login, "password": os.environ["FUZZ_PASSWORD"]},
        headers={"X-Forwarded-For": LOGIN_ADDRESS},
        timeout=10,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


DELETE_ACCOUNT = ("DELETE", "/api/v1/user/me")
SUPERUSER_PREFIXES = ("/api/v1/redis", "/api/v1/admin")


def _fresh_account() -> str:
    suffix = secrets.token_hex(6)
    email = f"fuzz-delete-{suffix}@example.com"
    response = httpx.post(
        f"{os.environ['FUZZ_BASE_URL']}/api/v1/user",
        json={
            "email": email,
            "username": f"fuzz_delete_{suffix}",
            "full_name": "Fuzz Delete",
            "password": os.environ["FUZZ_PASSWORD"],
        },
        timeout=10,
    )
    response.raise_for_status()
    # Log-in by email reaches confirmed addresses only; this account's is not confirmed.
    return _login(f"fuzz_delete_{suffix}")


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    """Aim admin changes at the stand-in account when they name one of the run's own accounts."""
    if not case.operation.path.startswith("/api/v1/admin/users/{user_id}"):
        return
    protected = set(os.environ.get("FUZZ_PROTECTED_IDS", "").split(","))
    if str((case.path_parameters or {}).get("user_id", "")) in protected:
        case.path_parameters = {**case.path_parameters, "user_id": os.environ["FUZZ_STANDIN_ID"]}


@schemathesis.auth(refresh_interval=None)
class RunUsers:
    """Bearer tokens per kind of operation (see the module docstring)."""

    def __init__(self) -> None:
        self._cached: dict[str, str] = {}

    def _cached_login(self, login: str) -> str:
        if login not in self._cached:
            self._cached[login] = _login(login)
        return self._cached[login]

    def get(self, case: Any, context: Any) -> str:
        """The token for this case's operation."""
        operation = context.operation
        if operation.path.startswith(SUPERUSER_PREFIXES):
            return self._cached_login(os.environ["FUZZ_SUPERUSER"])
        if (operation.method.upper(), operation.path) == DELETE_ACCOUNT:
            return _fresh_account()
        if (operation.method.upper(), operation.path) in SESSION_ENDING:
            return _login(os.environ["FUZZ_SESSIONS_USER"])
        if operation.path.startswith(API_TOKENS):
            return self._cached_login(os.environ["FUZZ_TOKENS_USER"])
        api_token = os.environ.get("FUZZ_API_TOKEN")
        if api_token and {"APIToken": []} in operation.definition.raw.get("security", []):
            return api_token
        return self._cached_login(os.environ["FUZZ_USER"])

    def set(self, case: Any, data: str, context: Any) -> None:
        """Send it as a bearer token."""
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
