"""What the bench runs against: its own PostgreSQL database, its own Redis index, the settings."""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import socket
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Loopback TCP without TLS, as the app reaches PostgreSQL in the docker-compose stack (Debian's
# PostgreSQL offers TLS, which `prefer` would take).
DATABASE_OPTIONS = "sslmode=disable"
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
# The suite takes Redis indexes 1..15 by PID; the bench looks for an empty one from the top.
REDIS_INDEXES = range(15, 0, -1)
REDIS_CLAIM_KEY = "teamsapp:bench:claimed"
BUN_DIRS = (ROOT / ".tools" / "bun" / "node_modules" / ".bin", Path("/opt/teamsapp-bun/node_modules/.bin"))


def log(message: str) -> None:
    """One line of progress on stdout."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Missing(Exception):
    """Something the bench needs is not there; the message says what and how to get it."""


@dataclass
class Backing:
    """The database and the Redis index of one bench run."""

    database_url: str
    redis_url: str

    def still_ours(self) -> bool:
        """Whether the Redis index still holds the bench's mark (nobody flushed it during the run)."""
        return bool(redis.Redis.from_url(self.redis_url).exists(REDIS_CLAIM_KEY))

    def release(self) -> None:
        """Drop the database and empty the Redis index."""
        drop_database(self.database_url)
        redis.Redis.from_url(self.redis_url).flushdb()


def check_tools(*, need_wrk: bool = True) -> None:
    """Fail with one line naming the missing service or tool."""
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.Error as error:
        raise Missing(f"PostgreSQL is not reachable at {ADMIN_URL} ({error.__class__.__name__})") from None
    try:
        redis.Redis.from_url(REDIS_BASE_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise Missing(f"Redis is not reachable at {REDIS_BASE_URL} ({error.__class__.__name__})") from None
    if need_wrk and shutil.which("wrk") is None:
        raise Missing("wrk is not installed: apt-get install -y wrk")
    if shutil.which("bun", path=bun_path()) is None:
        raise Missing("bun is not on PATH: run `make setup` (it installs bun under .tools/bun)")


def bun_path() -> str:
    """PATH with the project's bun first, as the Makefile sets it."""
    dirs = [str(path) for path in BUN_DIRS if path.is_dir()]
    return os.pathsep.join([*dirs, os.environ.get("PATH", "")])


def create_database() -> str:
    """An empty database with a unique name; its URL."""
    name = f"teamsapp_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}?{DATABASE_OPTIONS}"


def drop_database(url: str) -> None:
    """Drop a database made by `create_database`, closing whatever still uses it."""
    name = urlsplit(url).path.strip("/")
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def claim_redis_index() -> str:
    """The URL of an empty Redis database index, marked as the bench's for the run."""
    # Under the test suite, its own index is in BACKEND_REDIS_URL: never take that one.
    taken = urlsplit(os.environ.get("BACKEND_REDIS_URL", "")).path.strip("/")
    for index in REDIS_INDEXES:
        if str(index) == taken:
            continue
        url = f"{REDIS_BASE_URL}/{index}"
        client = redis.Redis.from_url(url)
        if client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, os.getpid(), nx=True, ex=3600):
            return url
    raise Missing(f"no empty Redis database index on {REDIS_BASE_URL} (tried {list(REDIS_INDEXES)})")


def migrate(url: str) -> None:
    """Apply every Alembic migration to the database at `url`."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def prepare() -> Backing:
    """A fresh migrated database and an empty Redis index."""
    database_url = create_database()
    try:
        migrate(database_url)
        return Backing(database_url=database_url, redis_url=claim_redis_index())
    except BaseException:
        drop_database(database_url)
        raise


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_env(backing: Backing, *, port: int, secret_key: str, bcrypt_rounds: int) -> dict[str, str]:
    """The settings of the app under test: the inherited environment less any BACKEND_ or mail setting."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("BACKEND_")}
    env.update(
        {
            "BACKEND_ENVIRONMENT": "prod",
            "BACKEND_SECRET_KEY": secret_key,
            "BACKEND_DB_URL": backing.database_url,
            "BACKEND_REDIS_URL": backing.redis_url,
            "BACKEND_HOST": "127.0.0.1",
            "BACKEND_PORT": str(port),
            "BACKEND_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BACKEND_BCRYPT_ROUNDS": str(bcrypt_rounds),
            "BACKEND_ACCESS_TOKEN_MINUTES": "60",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "PATH": bun_path(),
        }
    )
    return env


def calibration_env() -> dict[str, str]:
    """The calibration server's environment: the inherited one, without any app setting."""
    return {name: value for name, value in os.environ.items() if not name.startswith("BACKEND_")}


def describe_machine() -> dict[str, Any]:
    """Cores, memory, load, and the versions of what is measured."""
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    machine: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "packages": {
            name: _version(name) for name in ("reflex", "granian", "fastapi", "sqlalchemy", "bcrypt")
        },
    }
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            machine["postgresql"] = row[0] if row else None
        info: dict[str, Any] = redis.Redis.from_url(REDIS_BASE_URL).info("server")  # type: ignore[assignment]
        machine["redis"] = info.get("redis_version")
    except (psycopg.Error, redis.RedisError):
        pass
    return machine


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
