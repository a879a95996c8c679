"""Domain events: services record them on the session; subscribers hear them after the commit.

The UI subscribes to push live updates to open pages, whichever door (REST or UI) made the change.
Events of a transaction that rolls back are dropped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

PENDING = "teamsapp_pending_events"


@dataclasses.dataclass(frozen=True)
class TeamChanged:
    """Something about a team changed; `user_ids` are the people whose view of it changed."""

    team_id: uuid.UUID
    user_ids: frozenset[uuid.UUID]
    kind: str


@dataclasses.dataclass(frozen=True)
class AccountChanged:
    """An account changed outside its owner's hands (an administrator, or its deletion).

    `signed_out`: its sessions ended, so its open pages must log out.
    """

    user_id: uuid.UUID
    kind: str
    signed_out: bool


Event = TeamChanged | AccountChanged
Handler = Callable[[Event], Awaitable[None]]
_handlers: list[Handler] = []
_tasks: set[asyncio.Task[None]] = set()


def subscribe(handler: Handler) -> None:
    """Call `handler` for every event committed from now on."""
    _handlers.append(handler)


def emit(session: Any, domain_event: Event) -> None:
    """Record an event on a session (async or sync); it is dispatched once the session commits."""
    sync_session: Session = getattr(session, "sync_session", session)
    sync_session.info.setdefault(PENDING, []).append(domain_event)


async def _dispatch(domain_event: Event) -> None:
    for handler in list(_handlers):
        try:
            await handler(domain_event)
        except Exception:
            logger.exception("event handler failed for %s", domain_event.kind)


@event.listens_for(Session, "after_commit")
def _after_commit(sync_session: Session) -> None:
    pending = sync_session.info.pop(PENDING, [])
    if not pending or not _handlers:
        return
    loop = asyncio.get_running_loop()
    for domain_event in pending:
        task = loop.create_task(_dispatch(domain_event))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


@event.listens_for(Session, "after_rollback")
def _after_rollback(sync_session: Session) -> None:
    sync_session.info.pop(PENDING, None)
