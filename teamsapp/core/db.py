"""The database engine and the one way to get a transactional session."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.config import get_settings

CONNECT_TIMEOUT_SECONDS = 5


def async_url(url: str) -> URL:
    """The URL with an async driver: asyncpg for PostgreSQL, aiosqlite for SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # URLs are written the libpq way; asyncpg calls libpq's `sslmode` (same values) `ssl`.
        query = {("ssl" if key == "sslmode" else key): value for key, value in parsed.query.items()}
        return parsed.set(drivername="postgresql+asyncpg", query=query)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def sync_url(url: str) -> URL:
    """The URL with a blocking driver, for Alembic: psycopg 3 for PostgreSQL, sqlite3 for SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        query = {("sslmode" if key == "ssl" else key): value for key, value in parsed.query.items()}
        return parsed.set(drivername="postgresql+psycopg", query=query)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    return parsed


def redacted(url: str | URL) -> str:
    """The URL without its password, fit for a log line."""
    return make_url(str(url)).render_as_string(hide_password=True)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def _connect_asyncpg(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    # SQLAlchemy passes asyncpg's own errors out of a failed connect unwrapped (a refused socket is
    # a bare OSError); as the DBAPI's OperationalError they become `sqlalchemy.exc.OperationalError`,
    # which callers already treat as "the database is down", whatever the driver.
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise AsyncAdapt_asyncpg_dbapi.OperationalError(f"cannot connect: {error}", error) from error  # type: ignore[no-untyped-call]


def create_engine(url: str) -> AsyncEngine:
    """An async engine with short connect timeouts, so an outage fails fast.

    No pre-ping: it would cost a round trip per request. A connection that died with the server
    fails its first statement, which invalidates the whole pool and answers that one request 503.
    """
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
        pool_size=settings.db_pool_size,
        # No overflow: an overflow connection is closed on its return, so a load above the pool
        # size opened and closed a connection (a TLS handshake) per request. Callers queue instead.
        max_overflow=0,
        pool_timeout=CONNECT_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, "async_creator_fn": _connect_asyncpg},
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
        _autocommit_engine.cache_clear()


@functools.cache
def _autocommit_engine() -> AsyncEngine:
    return get_engine().execution_options(isolation_level="AUTOCOMMIT")


@asynccontextmanager
async def session_scope(*, read_only: bool = False) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends, rolls back if it raises.

    `read_only` is for work that only reads (GET requests): each statement runs on its own, with
    no BEGIN and COMMIT round trips. Under READ COMMITTED a transaction gives two reads no common
    snapshot either, so nothing is lost; a stray single-statement write still commits.
    """
    bind = _autocommit_engine() if read_only else get_engine()
    async with AsyncSession(bind, expire_on_commit=False) as session:
        try:
            yield session
            # Read-only: every statement committed on its own; only pending ORM changes need a commit.
            if not read_only or session.new or session.dirty or session.deleted:
                await session.commit()
        except BaseException:
            await session.rollback()
            raise
