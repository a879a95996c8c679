"""Health, readiness and liveness through real outages of a private PostgreSQL and Redis.

The suite's shared PostgreSQL and Redis are never stopped: this test starts its own, points an
API server at them, stops and restarts each, and never restarts the app.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from teamsapp.core.db import create_engine
from teamsapp.monitoring import service as monitoring_service
from tests import services
from tests.conftest import alembic_config
from tests.observability.processes import ApiServer, PrivatePostgres
from tests.services import PrivateRedis, wait_for

OUTAGE_TIMEOUT_SECONDS = 30
HEALTH_FIELDS = {"status", "down", "database", "redis", "migration", "migration_head"}


@pytest.fixture
def private_services(observability_tmp: Path) -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    """A PostgreSQL cluster and a Redis server of this test's own, stopped at the end."""
    postgres, redis_server = PrivatePostgres(), PrivateRedis(observability_tmp)
    try:
        postgres.init()
        postgres.start()
        redis_server.start()
        command.upgrade(alembic_config(postgres.url), "head")
        yield postgres, redis_server
    finally:
        redis_server.stop()
        postgres.stop()
        postgres.remove()


def _answers(url: str, path: str, status: int, down: list[str]) -> bool:
    response = httpx.get(f"{url}{path}", timeout=10)
    return response.status_code == status and response.json()["down"] == down


def _check_outage(server: ApiServer, part: str) -> None:
    for path in ("/api/v1/monitoring/health", "/api/v1/monitoring/ready"):
        wait_for(
            functools.partial(_answers, server.url, path, 503, [part]),
            timeout=OUTAGE_TIMEOUT_SECONDS,
            what=f"{path} answering 503 naming {part}",
        )
    health = httpx.get(f"{server.url}/api/v1/monitoring/health", timeout=10).json()
    assert health["status"] == "down"
    assert health[part].startswith("down")
    assert httpx.get(f"{server.url}/api/v1/monitoring/live", timeout=10).status_code == 200


def _check_recovered(server: ApiServer) -> None:
    for path in ("/api/v1/monitoring/health", "/api/v1/monitoring/ready"):
        wait_for(
            functools.partial(_answers, server.url, path, 200, []),
            timeout=OUTAGE_TIMEOUT_SECONDS,
            what=f"{path} answering 200 again",
        )


def test_health_names_the_part_that_is_down_and_recovers_without_a_restart(
    private_services: tuple[PrivatePostgres, PrivateRedis], observability_tmp: Path
) -> None:
    postgres, redis_server = private_services
    server = ApiServer(
        env={"BACKEND_DB_URL": postgres.url, "BACKEND_REDIS_URL": redis_server.url},
        workers=1,
        log_path=observability_tmp / "health.log",
    )
    server.start()
    try:
        assert server.process is not None
        pid = server.process.pid
        _check_recovered(server)

        postgres.stop()
        _check_outage(server, "database")
        postgres.start()
        _check_recovered(server)

        redis_server.stop()
        _check_outage(server, "redis")
        redis_server.start()
        _check_recovered(server)

        assert server.process.poll() is None
        assert server.process.pid == pid
    finally:
        server.stop()


async def test_health_tells_anonymous_callers_no_versions_or_secrets(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/monitoring/health")
    assert response.status_code == 200
    assert set(response.json()) == HEALTH_FIELDS
    for leak in ("postgresql", "redis://", "version", "1.0.0", "python", "password"):
        assert leak not in response.text.lower(), leak
    assert "server" not in {name.lower() for name in response.headers if name.lower() != "server"}


async def test_live_and_ready_answer_ok_when_all_is_well(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/monitoring/live")).json() == {"status": "ok", "down": []}
    ready = await client.get("/api/v1/monitoring/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "down": []}


@pytest.fixture
async def unmigrated_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh, empty database: reachable, but no migration has run on it."""
    url = services.create_database("teamsapp_unmigrated")
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        services.drop_database(url)


async def test_health_answers_503_naming_the_migrations_when_the_database_is_not_migrated(
    client: httpx.AsyncClient, unmigrated_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitoring_service, "get_engine", lambda: unmigrated_engine)
    for path in ("/api/v1/monitoring/health", "/api/v1/monitoring/ready"):
        response = await client.get(path)
        assert response.status_code == 503, response.text
        assert response.json()["down"] == ["migrations"]
    health = (await client.get("/api/v1/monitoring/health")).json()
    assert health["status"] == "down"
    assert health["database"] == "ok"
    assert health["migration"] is None
    assert health["migration_head"] is not None
