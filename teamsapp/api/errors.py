"""One place that turns domain and infrastructure errors into `{"detail": ...}` answers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from teamsapp.core.errors import DomainError, RateLimited

logger = logging.getLogger(__name__)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    body: dict[str, object] = {"detail": exc.detail}
    if exc.field:
        body["field"] = exc.field
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
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
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(DataError, _data_refused)
    app.add_exception_handler(RedisError, _redis_down)
