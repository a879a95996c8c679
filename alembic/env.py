"""Alembic environment: the SQLModel metadata and the URL from the BACKEND_ settings."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text
from sqlmodel import SQLModel

import teamsapp.models  # noqa: F401  (registers every table)
from teamsapp.core.config import get_settings
from teamsapp.core.db import sync_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata

# pg_advisory_lock key held while migrating ("teamsapp" in ASCII): replicas started together wait
# for the first one, then find the database at head and do nothing.
MIGRATION_LOCK_KEY = 0x7465616D73617070


def _url() -> str:
    # A caller (the tests, the app's start-up) may pass its own URL; otherwise the settings decide.
    url = config.attributes.get("url") or get_settings().database_url
    return sync_url(url).render_as_string(hide_password=False)


def run_migrations_offline() -> None:
    """Emit SQL without a connection."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection (batch mode so SQLite can alter tables)."""
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _lock(connection)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    # Closing the connection ends its session, which releases the advisory lock.
    engine.dispose()


def _lock(connection: Connection) -> None:
    """On PostgreSQL, wait for the migration lock (a session lock, held until the connection closes)."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    # Alembic then opens its own transaction, which reads alembic_version after the wait.
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
