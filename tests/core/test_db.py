"""The database layer: driver URLs, a failed connect as OperationalError, read-only scopes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from teamsapp.core.db import async_url, create_engine, session_scope, sync_url
from tests.services import free_port


def test_urls_speak_each_drivers_name_for_sslmode() -> None:
    url = "postgresql://u:p@db:5432/b?sslmode=require"
    app = async_url(url)
    assert (app.drivername, dict(app.query)) == ("postgresql+asyncpg", {"ssl": "require"})
    migrations = sync_url(url)
    assert (migrations.drivername, dict(migrations.query)) == ("postgresql+psycopg", {"sslmode": "require"})
    assert sync_url("sqlite:///x.db").drivername == "sqlite"
    assert async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"


async def test_a_refused_connection_is_an_operational_error() -> None:
    # asyncpg raises a bare OSError here; the API maps OperationalError (not OSError) to a 503.
    engine = create_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    try:
        with pytest.raises(OperationalError, match="cannot connect"):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def _transaction_ids(*, read_only: bool) -> set[int]:
    async with session_scope(read_only=read_only) as session:
        connection = await session.connection()
        # pg_current_xact_id() assigns an id to the transaction the statement runs in.
        query = text("SELECT pg_current_xact_id()::text::bigint")
        return {(await connection.execute(query)).scalar_one() for _ in range(3)}


async def test_a_read_only_scope_runs_each_statement_on_its_own() -> None:
    assert len(await _transaction_ids(read_only=True)) == 3
    assert len(await _transaction_ids(read_only=False)) == 1
