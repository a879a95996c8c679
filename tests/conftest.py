"""Suite set-up: a migrated PostgreSQL database of its own, a Redis database, test settings.

The environment is set in `pytest_configure`, before anything reads the settings. Each run gets a
fresh database migrated with Alembic (which also exercises the migrations) and dropped at the end;
tests isolate themselves by creating their own users and teams, never by deleting rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from alembic import command
from alembic.config import Config

from tests import services

pytest_plugins = [
    "tests.fixtures.mail",
    "tests.fixtures.users",
    "tests.fixtures.teams",
    "tests.fixtures.workers",
]

ALEMBIC_INI = os.path.join(os.path.dirname(__file__), "..", "alembic.ini")


def alembic_config(url: str) -> Config:
    """An Alembic config aimed at `url`."""
    config = Config(ALEMBIC_INI)
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    try:
        services.check_services()
    except services.ServiceMissing as missing:
        pytest.exit(str(missing), returncode=3)
    url = services.create_database()
    config.stash[DATABASE_KEY] = url
    os.environ.update(
        {
            "BACKEND_ENVIRONMENT": "test",
            "BACKEND_SECRET_KEY": secrets.token_urlsafe(48),
            "BACKEND_DB_URL": url,
            "BACKEND_REDIS_URL": services.redis_url(),
            "BACKEND_BCRYPT_ROUNDS": "4",
            "BACKEND_MAIL_SERVER": "127.0.0.1",
            "BACKEND_MAIL_PORT": str(services.free_port()),
            "BACKEND_PUBLIC_URL": "http://127.0.0.1:3000",
            "BACKEND_METRICS_TOKEN": secrets.token_urlsafe(32),
        }
    )
    command.upgrade(alembic_config(url), "head")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests last: sync Playwright keeps an event loop running in this thread while it is open.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_unconfigure(config: pytest.Config) -> None:
    url = config.stash.get(DATABASE_KEY, None)
    if url:
        services.drop_database(url)
        services.release_redis(os.environ["BACKEND_REDIS_URL"])


DATABASE_KEY = pytest.StashKey[str]()


@pytest.fixture(scope="session")
async def app_lifespan() -> AsyncIterator[None]:
    """The app's start-up and shut-down, as the server would run them."""
    from teamsapp.lifespan import app_lifespan

    async with app_lifespan():
        yield


@pytest.fixture
async def client(app_lifespan: None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the REST API, from an address of its own (rate limits count per IP)."""
    from teamsapp.api import api

    address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"
    transport = httpx.ASGITransport(app=api, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
