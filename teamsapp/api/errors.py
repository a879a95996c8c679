"""One place that turns domain and infrastructure errors into `{"detail": ...}` answers, and the
models and `responses=` entries that document those answers in the OpenAPI schema.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from teamsapp.core.errors import DomainError, RateLimited, Unauthorized

logger = logging.getLogger(__name__)

Responses = dict[int | str, dict[str, Any]]


class ErrorPublic(BaseModel):
    """A refused request: what went wrong and, when it is about one input, which field."""

    detail: str
    field: str | None = None


class ValidationIssue(BaseModel):
    """One input the schema refused: where it is (`loc`), why (`msg`) and the error `type`."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class InvalidPublic(BaseModel):
    """Refused input: the schema's list of issues, or one broken rule with the `field` it is about."""

    detail: str | list[ValidationIssue]
    field: str | None = None


def error_model(code: int) -> type[BaseModel]:
    """The body of an error status: a 422 may also be FastAPI's list of validation issues."""
    return InvalidPublic if code == 422 else ErrorPublic


DESCRIPTIONS = {
    401: "No valid access token (missing, expired, tampered with, or its session ended)",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict, such as a taken username",
    422: "Invalid input; `field` names it",
    429: "Rate limited; retry after `Retry-After` seconds",
    503: "Redis is down: rate-limited actions fail closed",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer` (RFC 6750)", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
}


def errors(*codes: int, wording: Mapping[int, str] = DESCRIPTIONS, **described: str) -> Responses:
    """The `responses=` entry documenting the error statuses a route can answer.

    `wording` gives each status its description; `e403="..."` overrides the one of a status.
    """
    documented: Responses = {}
    for code in codes:
        entry: dict[str, Any] = {
            "model": error_model(code),
            "description": described.get(f"e{code}", wording[code]),
        }
        if code in _HEADERS:
            entry["headers"] = _HEADERS[code]
        documented[code] = entry
    return documented


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    body: dict[str, object] = {"detail": exc.detail}
    if exc.field:
        body["field"] = exc.field
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, Unauthorized):
        # RFC 6750 section 3: a 401 names the scheme the client must authenticate with.
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    if (
        isinstance(exc, DBAPIError)
        and not exc.connection_invalidated
        and not isinstance(exc, OperationalError)
    ):
        raise exc
    logger.error("database unavailable: %s", exc.__class__.__name__)
    return JSONResponse({"detail": "The database is unavailable; try again shortly."}, status_code=503)


async def _pool_exhausted(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("no database connection free within the pool timeout")
    return JSONResponse(
        {"detail": "The server is busy; try again shortly."}, status_code=503, headers={"Retry-After": "1"}
    )


async def _data_refused(_request: Request, exc: Exception) -> JSONResponse:
    # The schemas should refuse such input first; this keeps a value PostgreSQL cannot store a 422.
    logger.warning("the database refused a value: %s", exc.__class__.__name__)
    return JSONResponse(
        {"detail": "A value cannot be stored (for instance, it contains a NUL)."}, status_code=422
    )


async def _redis_down(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("redis unavailable: %s", exc.__class__.__name__)
    return JSONResponse({"detail": "Redis is unavailable; try again shortly."}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the API app."""
    app.add_exception_handler(DomainError, _domain_error)
    # A connection that died mid-statement surfaces as a plain DBAPIError marked invalidated.
    app.add_exception_handler(DBAPIError, _database_down)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(DataError, _data_refused)
    app.add_exception_handler(RedisError, _redis_down)
