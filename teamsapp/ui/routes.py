"""Every UI route in one place; pages and links use these, never string literals.

Mail links are built from the same paths (`teamsapp/mail` uses `/verify?token=...` and so on).
"""

from __future__ import annotations

from urllib.parse import urlencode

HOME = "/"
NOT_FOUND = "404"
LOGIN = "/login"
SIGNUP = "/signup"
VERIFY = "/verify"
FORGOT_PASSWORD = "/forgot-password"  # noqa: S105  (a path, not a password)
RESET_PASSWORD = "/reset-password"  # noqa: S105  (a path, not a password)
SETTINGS = "/settings"
EMAIL_CONFIRM = "/settings/email/confirm"
APPEARANCE = "/appearance"
TEAMS = "/teams"
TEAM = "/teams/[team_id]"
INVITE = "/invite"
ADMIN = "/admin"
ACCOUNT_DELETED = "/account-deleted"

# Served by the backend (FastAPI), not by the Reflex router: they set and clear the session cookie.
SESSION_START = "/api/ui/session"
SESSION_END = "/api/ui/logout"

NEXT_MAX = 2000


def safe_next(path: str | None, default: str = TEAMS) -> str:
    """A local path to return to after logging in; anything else (other hosts, `//x`) gives `default`."""
    if not path or len(path) > NEXT_MAX or not path.startswith("/") or path.startswith(("//", "/\\")):
        return default
    if path.startswith(("/api/", LOGIN, SIGNUP)):
        return default
    return path


def _with_query(path: str, **params: str | None) -> str:
    present = {key: value for key, value in params.items() if value}
    return f"{path}?{urlencode(present)}" if present else path


def login(next_path: str | None = None) -> str:
    """The log-in page, coming back to `next_path` afterwards."""
    return _with_query(LOGIN, next=next_path)


def signup(next_path: str | None = None) -> str:
    """The sign-up page, coming back to `next_path` after the first log-in."""
    return _with_query(SIGNUP, next=next_path)


def team(team_id: object) -> str:
    """A team's page."""
    return f"{TEAMS}/{team_id}"


def invite(token: str) -> str:
    """The page that accepts an invitation."""
    return _with_query(INVITE, token=token)


def session_start(code: str, next_path: str) -> str:
    """The backend address that turns a one-time log-in code into the session cookie."""
    return _with_query(SESSION_START, code=code, next=next_path)


def session_end(next_path: str = LOGIN) -> str:
    """The backend address (a POST) that ends the browser's session and clears its cookie."""
    return _with_query(SESSION_END, next=next_path)
