"""Checks of the database, Redis and the migration revision."""

from __future__ import annotations

import asyncio
import dataclasses
import functools

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from teamsapp.core.config import ROOT
from teamsapp.core.db import get_engine
from teamsapp.core.redis import get_redis

CHECK_TIMEOUT_SECONDS = 3


@dataclasses.dataclass(frozen=True)
class Health:
    """The state of each part; `down` names the parts that fail."""

    database: str
    redis: str
    migration: str | None
    migration_head: str | None

    @property
    def down(self) -> list[str]:
        parts = [name for name in ("database", "redis") if getattr(self, name) != "ok"]
        if self.database == "ok" and self.migration != self.migration_head:
            parts.append("migrations")
        return parts


@functools.cache
def migration_head() -> str | None:
    """The newest revision among the migration scripts."""
    config = Config(str(ROOT / "alembic.ini"))
    return ScriptDirectory.from_config(config).get_current_head()


def _has_version_table(connection: Connection) -> bool:
    return inspect(connection).has_table("alembic_version")


async def _database() -> tuple[str, str | None]:
    async with get_engine().connect() as connection:
        await connection.execute(text("SELECT 1"))
        # A reachable database that was never migrated is up; `down` names the migrations instead.
        if not await connection.run_sync(_has_version_table):
            return "ok", None
        revision = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    return "ok", revision


async def _redis() -> str:
    # redis-py types ping() as sync-or-async; the asyncio client always returns an awaitable.
    await get_redis().ping()  # type: ignore[misc]
    return "ok"


def _outcome(result: object) -> str:
    if isinstance(result, BaseException):
        return f"down: {result.__class__.__name__}"
    return str(result)


async def check_health() -> Health:
    """Check every part at once, each bounded by a short timeout."""
    database, redis = await asyncio.gather(
        asyncio.wait_for(_database(), CHECK_TIMEOUT_SECONDS),
        asyncio.wait_for(_redis(), CHECK_TIMEOUT_SECONDS),
        return_exceptions=True,
    )
    revision = database[1] if isinstance(database, tuple) else None
    return Health(
        database=_outcome(database[0] if isinstance(database, tuple) else database),
        redis=_outcome(redis),
        migration=revision,
        migration_head=migration_head(),
    )
