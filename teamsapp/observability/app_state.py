"""The database counts behind the `teamsapp_users/teams/team_members/outbox_*` gauges.

Read at scrape time, at most once every few seconds per worker, with one short query.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlmodel import SQLModel, col

from teamsapp.core.db import get_engine
from teamsapp.models.base import utcnow
from teamsapp.models.mail import MailStatus, OutboxMail
from teamsapp.models.teams import Membership, Team
from teamsapp.models.users import User
from teamsapp.observability.metrics import APP_STATE, AppState

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 5.0
QUERY_TIMEOUT_SECONDS = 2.0

_last_attempt = -MAX_AGE_SECONDS
_lock = asyncio.Lock()


def _count(model: type[SQLModel], *conditions: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


async def read_app_state() -> AppState:
    """Count users, teams, memberships and the outbox in one round trip."""
    pending = col(OutboxMail.status) == MailStatus.PENDING
    query = select(
        _count(User),
        _count(Team),
        _count(Membership),
        _count(OutboxMail, pending),
        _count(OutboxMail, col(OutboxMail.status) == MailStatus.FAILED),
        select(func.min(OutboxMail.created_at)).where(pending).scalar_subquery(),
    )
    async with get_engine().connect() as connection:
        row = (await connection.execute(query)).one()
    users, teams, memberships, depth, failed, oldest = row
    age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0
    return AppState(
        users=users,
        teams=teams,
        memberships=memberships,
        outbox_depth=depth,
        outbox_failed=failed,
        outbox_oldest_pending_age_seconds=age,
    )


async def refresh_app_state() -> None:
    """Re-read the counts when the last read is older than a few seconds; none while it fails."""
    global _last_attempt  # noqa: PLW0603  (one cache per process)
    if time.monotonic() - _last_attempt < MAX_AGE_SECONDS:
        return
    async with _lock:
        if time.monotonic() - _last_attempt < MAX_AGE_SECONDS:
            return
        _last_attempt = time.monotonic()
        try:
            APP_STATE.state = await asyncio.wait_for(read_app_state(), QUERY_TIMEOUT_SECONDS)
        except Exception as error:
            if APP_STATE.state is not None:
                logger.warning("metrics: cannot read the counts: %s", error.__class__.__name__)
            APP_STATE.state = None
