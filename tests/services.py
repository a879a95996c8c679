"""The real PostgreSQL and Redis the suite runs on: reachability, a throwaway database per run,
and a private Redis server a test may stop (never the shared one).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis
from psycopg import sql

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_CLAIM_PREFIX = "teamsapp-tests:redis-db:"
REDIS_CLAIM_SECONDS = 3 * 3600


class ServiceMissing(Exception):
    """PostgreSQL or Redis cannot be reached; the message names which and how to start it."""


def check_services() -> None:
    """Fail with a message naming the missing service; never skip."""
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.Error as error:
        raise ServiceMissing(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({error.__class__.__name__}). "
            "Start it (`docker compose up -d db`) or point TEST_POSTGRES_URL at one."
        ) from None
    try:
        redis.Redis.from_url(REDIS_BASE_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise ServiceMissing(
            f"Redis is not reachable at {REDIS_BASE_URL} ({error.__class__.__name__}). "
            "Start it (`docker compose up -d redis`) or point TEST_REDIS_URL at one."
        ) from None


def database_url(name: str) -> str:
    """The URL of database `name` on the test server."""
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def create_database(prefix: str = "teamsapp_test") -> str:
    """Create an empty database with a unique name and return its URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(name)


def drop_database(url: str) -> None:
    """Drop a database made by `create_database`, closing whatever still uses it."""
    name = url.rpartition("/")[2]
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def redis_url() -> str:
    """A Redis database index claimed for this run and emptied first.

    Runs side by side (several checkouts on one machine) each claim a free index 1-15 with SET NX in
    database 0; the claim expires on its own if a run dies, and `release_redis` frees it at the end.
    """
    claims = redis.Redis.from_url(f"{REDIS_BASE_URL}/0")
    for index in range(1, 16):
        if claims.set(f"{REDIS_CLAIM_PREFIX}{index}", os.getpid(), nx=True, ex=REDIS_CLAIM_SECONDS):
            break
    else:
        raise ServiceMissing("Every Redis database 1-15 is claimed by another test run; wait for one to end.")
    url = f"{REDIS_BASE_URL}/{index}"
    redis.Redis.from_url(url).flushdb()
    return url


def release_redis(url: str) -> None:
    """Free the database index claimed by `redis_url`."""
    index = url.rpartition("/")[2]
    redis.Redis.from_url(f"{REDIS_BASE_URL}/0").delete(f"{REDIS_CLAIM_PREFIX}{index}")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `check` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached within {timeout}s")


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 20) -> None:
    """SIGTERM the process group started with `start_new_session=True`; SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class PrivateRedis:
    """A redis-server of its own on a free port, without persistence, logging to `log_dir` if given."""

    START_TIMEOUT_SECONDS = 60

    def __init__(self, log_dir: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_dir / "redis.log" if log_dir else None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait for PONG."""
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the tests that stop Redis"
        command = [binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no"]
        with (self.log_path or Path(os.devnull)).open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(
            lambda: bool(redis.Redis(port=self.port, socket_timeout=1).ping()),
            timeout=self.START_TIMEOUT_SECONDS,
            what=f"private Redis on {self.port}",
        )

    def stop(self) -> None:
        """Stop the server by its PID, as an outage would."""
        if self.process is not None:
            stop_process(self.process)


def metrics_headers() -> dict[str, str]:
    """The header a scraper sends to read /metrics outside `dev` (the suite's token)."""
    return {"Authorization": f"Bearer {os.environ['BACKEND_METRICS_TOKEN']}"}
