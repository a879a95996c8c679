"""Domain errors: raised by services, each carrying the HTTP status it maps to.

The REST API turns them into `{"detail": ..., "field": ...}`; the UI turns them into a field error
or a toast. Services never raise framework exceptions.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every business error; `field` names the input it is about, when there is one."""

    status_code = 400

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Unauthorized(DomainError):
    """No valid credentials."""

    status_code = 401


class PermissionDenied(DomainError):
    """The caller is known but lacks the right."""

    status_code = 403


class NotFound(DomainError):
    """No such thing, or the caller may not know it exists."""

    status_code = 404


class Conflict(DomainError):
    """The change clashes with the current state (a taken username, the last owner)."""

    status_code = 409


class Invalid(DomainError):
    """Input that passed the schema but breaks a rule."""

    status_code = 422


class RateLimited(DomainError):
    """Too many attempts; retry after `retry_after` seconds."""

    status_code = 429

    def __init__(self, detail: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A backing service (Redis, the database) is down; the action fails closed."""

    status_code = 503
