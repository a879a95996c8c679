"""The per-process cache of the access check, kept honest by invalidations through Redis pub/sub.

Every authenticated request checks that its log-in session is live and reads its user. A worker
answers that from memory only while its invalidation channel is subscribed and heard from: an
ended session or a changed user is published after its transaction commits and every worker drops
it on receipt (milliseconds). While the channel is down or silent, the worker reads the database,
and it empties the cache whenever it (re)subscribes, so nothing cached before a gap is trusted.

`invalidate()` is the one entry point for callers that end sessions with bulk statements; changes
to a `User` row through the ORM (password, profile, deactivation, deletion) invalidate that user
on their own (see `_user_changes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.redis import get_redis, key
from teamsapp.models import User
from teamsapp.observability.metrics import ACCESS_CHECKS

logger = logging.getLogger(__name__)

CHANNEL = key("access", "invalidate")
MAX_ENTRIES = 10_000
# A safety net only: an entry lives this long even if an invalidation were lost on the way.
TTL_SECONDS = 10.0
# The subscriber pings this often when nothing arrives; silent for longer than SILENT_SECONDS,
# the channel counts as down. A Redis that dies closes the connection and is noticed at once;
# this bounds a connection that hangs without closing, and leaves room for a busy event loop.
HEARTBEAT_SECONDS = 0.25
SILENT_SECONDS = 1.0
RETRY_SECONDS = 0.25
PENDING = "teamsapp_access_invalidations"

_USER_COLUMNS = tuple(column.key for column in User.__table__.columns)  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class _Entry:
    user_id: uuid.UUID
    user: User  # detached, never changed: each hit merges a copy into its own session
    valid_until: dt.datetime
    # The scopes of a personal API token; None for a log-in session.
    scopes: frozenset[str] | None = None


@dataclasses.dataclass
class _Channel:
    subscribed: bool = False
    heard_at: float = 0.0
    # Bumped by every invalidation and every change of the channel's state: a database read that
    # started before a bump may be stale and is not stored.
    generation: int = 0

    def live(self) -> bool:
        return self.subscribed and time.monotonic() - self.heard_at < SILENT_SECONDS


_FROM_CACHE = ACCESS_CHECKS.labels("cache")
_FROM_DATABASE = ACCESS_CHECKS.labels("database")
_entries: TTLCache[uuid.UUID, _Entry] = TTLCache(maxsize=MAX_ENTRIES, ttl=TTL_SECONDS)
_channel = _Channel()
_tasks: set[asyncio.Task[None]] = set()


def lookup(
    session: AsyncSession, *, session_id: uuid.UUID, user_id: uuid.UUID, now: dt.datetime
) -> User | None:
    """The user of a log-in session checked recently, attached to `session`; None: read the database."""
    entry = _entries.get(session_id) if _channel.live() else None
    if entry is None or entry.scopes is not None or entry.user_id != user_id or now >= entry.valid_until:
        _FROM_DATABASE.inc()
        return None
    _FROM_CACHE.inc()
    # A copy, persistent and clean in this session without a query: changes to it flush as usual.
    return session.sync_session.merge(entry.user, load=False)


def lookup_token(
    session: AsyncSession, *, key: uuid.UUID, now: dt.datetime
) -> tuple[User, frozenset[str]] | None:
    """The owner and scopes of a personal API token checked recently; None: read the database."""
    entry = _entries.get(key) if _channel.live() else None
    if entry is None or entry.scopes is None or now >= entry.valid_until:
        _FROM_DATABASE.inc()
        return None
    _FROM_CACHE.inc()
    return session.sync_session.merge(entry.user, load=False), entry.scopes


def mark() -> int:
    """Call before reading the database; pass to `store`."""
    return _channel.generation


def store(
    mark_: int,
    *,
    session_id: uuid.UUID,
    user: User,
    valid_until: dt.datetime,
    scopes: frozenset[str] | None = None,
) -> None:
    """Remember a live session's (or, with `scopes`, an API token's) user until `valid_until`, unless
    anything was invalidated since `mark_`."""
    if _channel.generation != mark_ or not _channel.live():
        return
    # A copy of the loaded values: `user` belongs to a session that may yet roll back and expire it.
    copy = User(**{name: getattr(user, name) for name in _USER_COLUMNS})
    make_transient_to_detached(copy)
    _entries[session_id] = _Entry(user_id=user.id, user=copy, valid_until=valid_until, scopes=scopes)


def invalidate(
    session: AsyncSession | Session, *, user_id: uuid.UUID, session_ids: Iterable[uuid.UUID] | None = None
) -> None:
    """Stop trusting a user's cached sessions (all of them, or only `session_ids`) on every worker.

    Call it in the transaction that ends them: this worker forgets them at once, every worker once
    the transaction commits.
    """
    message = {
        "user_id": str(user_id),
        "session_ids": None if session_ids is None else [str(i) for i in session_ids],
    }
    _forget(message)
    sync_session = session.sync_session if isinstance(session, AsyncSession) else session
    sync_session.info.setdefault(PENDING, []).append(message)


def _forget(message: dict[str, Any]) -> None:
    _channel.generation += 1
    session_ids = message.get("session_ids")
    if session_ids is not None:
        for session_id in session_ids:
            _entries.pop(uuid.UUID(session_id), None)
        return
    user_id = uuid.UUID(message["user_id"])
    for session_id in [sid for sid, entry in list(_entries.items()) if entry.user_id == user_id]:
        _entries.pop(session_id, None)


def _reset(*, subscribed: bool) -> None:
    _channel.generation += 1
    _channel.subscribed = subscribed
    _channel.heard_at = time.monotonic()
    _entries.clear()


async def _publish(messages: list[dict[str, Any]]) -> None:
    try:
        async with get_redis().pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.publish(CHANNEL, json.dumps(message))
            await pipe.execute()
    except Exception:
        # The other workers keep trusting their entries for at most TTL_SECONDS; if Redis is down,
        # their channels are down too and they read the database.
        logger.exception("could not publish %d access invalidation(s)", len(messages))


@event.listens_for(Session, "after_flush")
def _user_changes(sync_session: Session, _context: object) -> None:
    for instance in (*sync_session.dirty, *sync_session.deleted):
        if isinstance(instance, User):
            invalidate(sync_session, user_id=instance.id)


@event.listens_for(Session, "after_commit")
def _after_commit(sync_session: Session) -> None:
    messages = sync_session.info.pop(PENDING, None)
    if not messages:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        # A synchronous session outside the app (a script): the workers' entries expire by TTL.
        logger.warning("access invalidation(s) committed outside an event loop: not published")
        return
    task = loop.create_task(_publish(messages))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


@event.listens_for(Session, "after_rollback")
def _after_rollback(sync_session: Session) -> None:
    sync_session.info.pop(PENDING, None)


async def _listen_once() -> None:
    async with get_redis().pubsub() as pubsub:
        await pubsub.subscribe(CHANNEL)
        while True:
            message = await pubsub.get_message(timeout=HEARTBEAT_SECONDS)
            if message is None:
                await pubsub.ping()
                continue
            _channel.heard_at = time.monotonic()
            if message["type"] == "subscribe":
                _reset(subscribed=True)
                logger.info("access cache: invalidation channel subscribed, cache emptied")
            elif message["type"] == "message":
                _forget(json.loads(message["data"]))


async def _listen() -> None:
    while True:
        try:
            await _listen_once()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if _channel.subscribed:
                logger.warning("access cache: invalidation channel lost (%s); reading the database", error)
            _reset(subscribed=False)
            await asyncio.sleep(RETRY_SECONDS)
        finally:
            _reset(subscribed=False)


@contextlib.asynccontextmanager
async def listening() -> AsyncIterator[None]:
    """Keep the invalidation channel subscribed while the block runs (the app's lifespan)."""
    task = asyncio.create_task(_listen(), name="access-cache-invalidations")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
