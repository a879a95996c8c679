"""The API served by two granian workers in multiprocess metrics mode, on a database of its own."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from tests import services
from tests.conftest import alembic_config
from tests.observability.processes import ApiServer

WORKERS = 2


@pytest.fixture(scope="session")
def observability_tmp() -> Iterator[Path]:
    """A temp dir for the servers these tests start (kept small, removed at the end)."""
    with tempfile.TemporaryDirectory(prefix="teamsapp-observability-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def metrics_dir(observability_tmp: Path) -> Path:
    """The PROMETHEUS_MULTIPROC_DIR of the multi-worker server."""
    path = observability_tmp / "metrics"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def server_database() -> Iterator[str]:
    """A migrated database for the servers these tests start (their mail sender stays off the suite's)."""
    url = services.create_database("teamsapp_obs")
    command.upgrade(alembic_config(url), "head")
    yield url
    services.drop_database(url)


@pytest.fixture(scope="session")
def api_server(observability_tmp: Path, metrics_dir: Path, server_database: str) -> Iterator[ApiServer]:
    """`granian --workers 2 teamsapp.api:api` with PROMETHEUS_MULTIPROC_DIR set."""
    server = ApiServer(
        env={"BACKEND_DB_URL": server_database, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        workers=WORKERS,
        log_path=observability_tmp / "api.log",
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
