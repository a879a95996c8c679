"""The database URL built from `BACKEND_DB_*` parts keeps any password, up to a real log-in.

The suite's PostgreSQL trusts every loopback connection, so a password there proves nothing: this
test starts a private cluster whose `pg_hba.conf` makes its role log in with SCRAM.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import make_url, text

from teamsapp.core.config import Settings
from teamsapp.core.db import async_url, create_engine, sync_url
from tests.observability.processes import VENV_BIN, PrivatePostgres

ROOT = Path(__file__).resolve().parents[2]
ROLE = "teamsapp_pw"
DATABASE = "teamsapp pw"
PASSWORDS = [
    "p@ss:w/rd% with spaces",
    "%40%2F%25",
    "a+b=c&d?e#f",
    "'quoted\" \\back",
    "ünï cödé :@/",
]


def _settings(password: str, *, port: int = 5432) -> Settings:
    return Settings(
        _env_file=None,
        db_url=None,
        db_host="127.0.0.1",
        db_port=port,
        db_user=ROLE,
        db_pass=password,
        db_base=DATABASE,
    )


@pytest.mark.parametrize("password", PASSWORDS)
def test_the_url_parses_back_to_the_same_parts(password: str) -> None:
    url = _settings(password).database_url
    for parsed in (make_url(url), async_url(url), sync_url(url)):
        assert (parsed.username, parsed.password, parsed.host, parsed.port, parsed.database) == (
            ROLE,
            password,
            "127.0.0.1",
            5432,
            DATABASE,
        )


@pytest.fixture(scope="module")
def scram_postgres() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL where `ROLE` must give its password (SCRAM) and has its own database."""
    postgres = PrivatePostgres()
    postgres.init()
    hba = postgres.data / "pg_hba.conf"
    # The first matching line wins: the role logs in by password, everyone else as before.
    hba.write_text(f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    postgres.start()
    try:
        with psycopg.connect(postgres.url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(ROLE)))
            connection.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(ROLE))
            )
        yield postgres
    finally:
        postgres.stop()
        postgres.remove()


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    # libpq's own URI parser is not SQLAlchemy's: connect with the parts SQLAlchemy parsed back.
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        connect_timeout=5,
    )


def _set_password(postgres: PrivatePostgres, password: str) -> None:
    with psycopg.connect(postgres.url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(ROLE), sql.Literal(password))
        )


@pytest.mark.parametrize("password", PASSWORDS)
async def test_the_app_and_the_migrations_log_in_with_any_password(
    scram_postgres: PrivatePostgres, password: str
) -> None:
    _set_password(scram_postgres, password)
    url = _settings(password, port=scram_postgres.port).database_url

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.scalar(text("SELECT current_user"))) == ROLE
    finally:
        await engine.dispose()
    migrations = create_sync_engine(sync_url(url))
    with migrations.connect() as connection:
        assert connection.scalar(text("SELECT current_database()")) == DATABASE
    migrations.dispose()


def test_the_password_is_checked(scram_postgres: PrivatePostgres) -> None:
    _set_password(scram_postgres, PASSWORDS[0])
    url = _settings(PASSWORDS[0] + "x", port=scram_postgres.port).database_url
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(url)


def test_alembic_migrates_from_the_parts(scram_postgres: PrivatePostgres) -> None:
    password = PASSWORDS[0]
    _set_password(scram_postgres, password)
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKEND_DB_")}
    env |= {
        "BACKEND_DB_HOST": "127.0.0.1",
        "BACKEND_DB_PORT": str(scram_postgres.port),
        "BACKEND_DB_USER": ROLE,
        "BACKEND_DB_PASS": password,
        "BACKEND_DB_BASE": DATABASE,
    }
    done = subprocess.run(
        [str(VENV_BIN / "alembic"), "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    url = _settings(password, port=scram_postgres.port).database_url
    with _connect(url) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() is not None
