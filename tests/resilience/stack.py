"""A private stack: PostgreSQL, Redis and an SMTP server of its own, which the resilience tests and
the soak stop and restart (never the shared ones), and the app servers started on top of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from alembic import command

from tests import services
from tests.conftest import alembic_config
from tests.fixtures.mail import Mailbox
from tests.resilience.processes import AppServer, PrivatePostgres
from tests.services import PrivateRedis


class Stack:
    """The private services and the app servers started on them."""

    def __init__(self, base: Path) -> None:
        self.dir = base
        self.postgres = PrivatePostgres()
        self.redis = PrivateRedis(base)
        self.mailbox = Mailbox("127.0.0.1", services.free_port())
        self.database_url = f"postgresql://postgres@127.0.0.1:{self.postgres.port}/teamsapp"
        self.servers: list[AppServer] = []

    def start(self) -> None:
        """Start PostgreSQL (migrated), Redis and the SMTP server."""
        self.postgres.init()
        self.postgres.start()
        with psycopg.connect(self.postgres.url, autocommit=True) as connection:
            connection.execute("CREATE DATABASE teamsapp")
        command.upgrade(alembic_config(self.database_url), "head")
        self.redis.start()
        self.mailbox.start()

    def server(self, name: str, **env: str) -> AppServer:
        """An app server (not started yet) on this stack; stopped with the stack."""
        settings = {
            "BACKEND_DB_URL": self.database_url,
            "BACKEND_REDIS_URL": self.redis.url,
            "BACKEND_MAIL_SERVER": "127.0.0.1",
            "BACKEND_MAIL_PORT": str(self.mailbox.port),
            **env,
        }
        server = AppServer(env=settings, log_path=self.dir / f"{name}.log")
        self.servers.append(server)
        return server

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Rows of one statement on the stack's database, read straight from PostgreSQL."""
        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            return list(connection.execute(sql, params).fetchall())

    def stop(self) -> None:
        """Stop every server and service, whatever state a test left them in."""
        for server in self.servers:
            server.kill()
        self.mailbox.stop()
        self.redis.stop()
        self.postgres.stop()
        self.postgres.remove()
