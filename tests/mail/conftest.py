"""Mail test fixtures: a throwaway outbox database, and the raw lines of the mail logger.

The app's own background sender polls the suite's database; a test that must know exactly which
sender took which mail runs its senders on a database of its own, where nothing else looks.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from teamsapp import models  # noqa: F401  (registers the tables)
from teamsapp.core.db import create_engine
from tests import services
from tests.mail.helpers import MailLog


@pytest.fixture
async def outbox_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh PostgreSQL database with just the outbox table, dropped afterwards."""
    url = services.create_database("teamsapp_outbox")
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(
            SQLModel.metadata.create_all, tables=[SQLModel.metadata.tables["outbox_mail"]]
        )
    yield engine
    await engine.dispose()
    services.drop_database(url)


@pytest.fixture
def mail_log() -> Iterator[MailLog]:
    """The raw (unredacted) lines of the `teamsapp.mail` logger during the test."""
    records = MailLog()
    mail_logger = logging.getLogger("teamsapp.mail")
    level = mail_logger.level
    mail_logger.addHandler(records)
    mail_logger.setLevel(logging.INFO)
    yield records
    mail_logger.removeHandler(records)
    mail_logger.setLevel(level)
