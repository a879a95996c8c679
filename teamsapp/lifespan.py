"""Start-up and shut-down shared by the full Reflex app and the REST API served alone."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import NoReturn

from sqlalchemy import text

from teamsapp.auth import cache as access_cache
from teamsapp.core.config import SettingsError, get_settings
from teamsapp.core.db import dispose_engine, get_engine, redacted
from teamsapp.core.redis import close_redis, get_redis
from teamsapp.mail.outbox import running_outbox
from teamsapp.observability.logging import configure_logging
from teamsapp.observability.runtime import observe_worker

logger = logging.getLogger("teamsapp")


def _announce_defaults() -> None:
    settings = get_settings()
    logger.info("teamsapp starting: environment=%s, public URL %s", settings.environment, settings.base_url)
    logger.info("database: %s", redacted(settings.database_url))
    if not settings.db_url and not settings.db_host:
        logger.warning("embedded default: SQLite file (set BACKEND_DB_URL or BACKEND_DB_HOST for PostgreSQL)")
    if not settings.redis_url:
        logger.warning("embedded default: in-process Redis stand-in (set BACKEND_REDIS_URL for Redis)")
    if settings.mail_backend == "log":
        logger.warning("embedded default: mail goes to the log, links included (set BACKEND_MAIL_SERVER)")


async def _check_database() -> None:
    settings = get_settings()
    try:
        async with get_engine().connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        raise SettingsError(
            f"cannot reach the database {redacted(settings.database_url)} "
            f"(BACKEND_DB_URL / BACKEND_DB_HOST): {error.__class__.__name__}: {str(error).splitlines()[0]}"
        ) from None


@asynccontextmanager
async def app_lifespan() -> AsyncIterator[None]:
    """Check the settings and the database, run the background work, and clean up at the end."""
    configure_logging(get_settings())
    # Checked before anything is said, so that a refusal is the only line start-up writes.
    await _check_database()
    _announce_defaults()
    get_redis()
    # What exists now (the app, its pages, the imported libraries) lives as long as the process:
    # out of the collector's sight, a full collection no longer walks it (tail latency under load).
    gc.freeze()
    try:
        async with running_outbox(), observe_worker(), access_cache.listening():
            yield
    finally:
        await close_redis()
        await dispose_engine()


# The exit status of a worker that could not boot, as uvicorn and gunicorn use it.
REFUSAL_EXIT_STATUS = 3


def _first_refusal_of_the_server() -> bool:
    # The workers of one server (multiprocessing children of it) refuse together: only the first
    # of them says why. A server without workers is its own first.
    server = multiprocessing.parent_process()
    if server is None:
        return True
    marker = Path(tempfile.gettempdir()) / f"teamsapp-refusal-{server.pid}"
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True


def refuse_to_start(refusal: SettingsError) -> NoReturn:
    """Print the refusal as one line on stderr and end the process with a non-zero status."""
    if _first_refusal_of_the_server():
        print(refusal.code, file=sys.stderr, flush=True)
    logging.shutdown()
    # Both servers catch an exception raised from a lifespan and print its traceback (uvicorn's
    # lifespan, granian's worker): leaving here at once is what keeps the refusal to one line.
    os._exit(REFUSAL_EXIT_STATUS)


@asynccontextmanager
async def server_lifespan() -> AsyncIterator[None]:
    """`app_lifespan` as a server runs it: a start-up refusal ends the process with one line."""
    async with AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(app_lifespan())
        except SettingsError as refusal:
            refuse_to_start(refusal)
        yield
