"""The database engine and the one way to get a transactional session."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.config import get_settings

CONNECT_TIMEOUT_SECONDS = 5


def async_url(url: str) -> URL:
    """The URL with an async driver: psycopg 3 for PostgreSQL, aiosqlite for SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def sync_url(url: str) -> URL:
    """The URL with a blocking driver, for Alembic."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    return async_url(url)


def redacted(url: str | URL) -> str:
    """The URL without its password, fit for a log line."""
    return make_url(str(url)).render_as_string(hide_password=True)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine with pre-ping and short connect timeouts, so an outage fails fast."""
    settings = get_settings()
    parsed = async_url(url)
    # Outside dev, statement parameters (emails, hashes) stay out of error messages and logs.
    common: dict[str, Any] = {"echo": settings.db_echo, "hide_parameters": not settings.is_dev}
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(parsed, connect_args={"timeout": 15}, **common)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_async_engine(
        parsed,
        **common,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=CONNECT_TIMEOUT_SECONDS,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


@functools.cache
def get_engine() -> AsyncEngine:
    """The process-wide engine, built on first use from the settings."""
    return create_engine(get_settings().database_url)


async def dispose_engine() -> None:
    """Close the pool (at shut-down, or after a fork)."""
    if get_engine.cache_info().currsize:
        await get_engine().dispose()
        get_engine.cache_clear()


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends, rolls back if it raises."""
    async with AsyncSession(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
