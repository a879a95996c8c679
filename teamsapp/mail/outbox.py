"""The background sender: delivers due outbox mails, retrying with exponential backoff.

Every worker process runs one. A pass claims a batch of due mails in a short transaction (on
PostgreSQL with `FOR UPDATE SKIP LOCKED`, so concurrent senders never take the same mail) and leases
them by moving `next_attempt_at` forward; the mails are then sent outside any transaction and each
outcome is recorded in its own short transaction. A sender that dies mid-batch leaves its mails to be
retried once the lease runs out: delivery is at least once, and exactly once while senders live.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.db import get_engine
from teamsapp.mail.rendering import NEUTRAL_KINDS
from teamsapp.mail.senders import Sender, get_sender
from teamsapp.models.base import utcnow
from teamsapp.models.mail import MailStatus, OutboxMail
from teamsapp.observability.metrics import MAILS_FAILED, MAILS_SENT

logger = logging.getLogger("teamsapp.mail")

POLL_SECONDS = 1.0
BATCH_SIZE = 10
CLAIM_LEASE = dt.timedelta(minutes=10)
BACKOFF_CAP_SECONDS = 300
MAX_ATTEMPTS = 50
STOP_GRACE_SECONDS = 10
ERROR_MAX = 500
WAKE_FLAG = "teamsapp_mail_queued"

_running: set[OutboxWorker] = set()


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure: 1 s, 2 s, 4 s ... at most 5 minutes."""
    return dt.timedelta(seconds=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))


def describe_error(error: BaseException) -> str:
    """A one-line error for `last_error` and the log (senders never put secrets or bodies in errors)."""
    text = " ".join(str(error).split())
    return f"{error.__class__.__name__}: {text}"[:ERROR_MAX] if text else error.__class__.__name__


async def claim_due(
    session: AsyncSession, *, limit: int, now: dt.datetime, lease: dt.timedelta = CLAIM_LEASE
) -> list[OutboxMail]:
    """Lock up to `limit` due pending mails, skipping rows another sender holds, and lease them.

    The caller commits. SQLite has no row locks (SQLAlchemy renders no `FOR UPDATE` there): its
    single writer serialises the claim instead.
    """
    statement = (
        select(OutboxMail)
        .where(col(OutboxMail.status) == MailStatus.PENDING, col(OutboxMail.next_attempt_at) <= now)
        .order_by(col(OutboxMail.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    mails = list((await session.exec(statement)).all())
    for mail in mails:
        mail.next_attempt_at = now + lease
    await session.flush()
    return mails


class OutboxWorker:
    """Claims due mails, sends them and records each outcome; one runs in every worker process."""

    def __init__(
        self,
        *,
        sender: Sender,
        engine: AsyncEngine | None = None,
        batch_size: int = BATCH_SIZE,
        max_attempts: int = MAX_ATTEMPTS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.sender = sender
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._engine = engine
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._healthy = True
        self.running = False

    def _session(self) -> AsyncSession:
        return AsyncSession(self._engine or get_engine(), expire_on_commit=False)

    def wake(self) -> None:
        """Start the next pass now instead of at the next poll (safe from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def request_stop(self) -> None:
        """Finish the mail being sent, hand back the rest of the batch, and leave `run`."""
        self._stopping = True
        self.wake()

    async def run(self) -> None:
        """Deliver due mails until stopped: at once when woken, otherwise about once a second."""
        self._loop = asyncio.get_running_loop()
        self.running = True
        try:
            while not self._stopping:
                self._wake.clear()
                if await self._pass_logging_outages():
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
        finally:
            self.running = False

    async def _pass_logging_outages(self) -> bool:
        # The database may be down for a while: log the outage once, and its end, not every second.
        try:
            claimed = await self.run_once()
        except Exception as error:
            if self._healthy:
                logger.warning("mail outbox: pass failed, retrying every poll: %s", describe_error(error))
            self._healthy = False
            return False
        if not self._healthy:
            logger.info("mail outbox: passes succeed again")
        self._healthy = True
        return claimed >= self.batch_size

    async def run_once(self) -> int:
        """One pass: claim a batch of due mails, deliver each, record the outcomes; returns how many."""
        async with self._session() as session:
            mails = await claim_due(session, limit=self.batch_size, now=utcnow())
            await session.commit()
        for index, mail in enumerate(mails):
            if self._stopping:
                await self._release(mails[index:])
                break
            await self._deliver(mail)
        return len(mails)

    async def _deliver(self, mail: OutboxMail) -> None:
        try:
            await self.sender.send(mail)
        except Exception as error:
            await self._record_failure(mail, error)
        else:
            await self._record_sent(mail)

    async def _record_sent(self, mail: OutboxMail) -> None:
        async with self._session() as session:
            session.add(mail)
            mail.status = MailStatus.SENT
            mail.sent_at = utcnow()
            mail.last_error = None
            await session.commit()
        if mail.kind not in NEUTRAL_KINDS:
            MAILS_SENT.labels(backend=self.sender.backend).inc()
        logger.info("mail %s (%s) sent via %s", mail.id, mail.kind, self.sender.backend)

    async def _record_failure(self, mail: OutboxMail, error: Exception) -> None:
        attempts = mail.attempts + 1
        delay = backoff(attempts)
        reason = describe_error(error)
        async with self._session() as session:
            session.add(mail)
            mail.attempts = attempts
            mail.last_error = reason
            mail.next_attempt_at = utcnow() + delay
            if attempts >= self.max_attempts:
                mail.status = MailStatus.FAILED
            await session.commit()
        if mail.kind not in NEUTRAL_KINDS:
            MAILS_FAILED.labels(backend=self.sender.backend).inc()
        if mail.status == MailStatus.FAILED:
            logger.error("mail %s (%s) given up after %d attempts: %s", mail.id, mail.kind, attempts, reason)
        else:
            logger.warning(
                "mail %s (%s) not sent via %s (attempt %d, next in %ds): %s",
                mail.id,
                mail.kind,
                self.sender.backend,
                attempts,
                delay.total_seconds(),
                reason,
            )

    async def _release(self, mails: Sequence[OutboxMail]) -> None:
        async with self._session() as session:
            now = utcnow()
            for mail in mails:
                session.add(mail)
                mail.next_attempt_at = now
            await session.commit()


def wake_after_commit(session: AsyncSession) -> None:
    """Wake this process's sender once `session` commits (without it, the next poll finds the mail)."""
    session.sync_session.info[WAKE_FLAG] = True


@event.listens_for(Session, "after_commit")
def _wake_on_commit(sync_session: Session) -> None:
    if sync_session.info.pop(WAKE_FLAG, False):
        for worker in list(_running):
            worker.wake()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(sync_session: Session) -> None:
    sync_session.info.pop(WAKE_FLAG, None)


@contextlib.asynccontextmanager
async def running_outbox(
    sender: Sender | None = None, engine: AsyncEngine | None = None, poll_seconds: float = POLL_SECONDS
) -> AsyncIterator[OutboxWorker]:
    """Run this process's background sender (an asyncio task) while the block lasts, then stop it."""
    worker = OutboxWorker(sender=sender or get_sender(), engine=engine, poll_seconds=poll_seconds)
    task = asyncio.create_task(worker.run(), name="teamsapp-mail-outbox")
    _running.add(worker)
    logger.info("mail outbox: sending via %s", worker.sender.backend)
    try:
        yield worker
    finally:
        _running.discard(worker)
        worker.request_stop()
        try:
            await asyncio.wait_for(task, timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            logger.warning("mail outbox: stopped during a delivery; that mail is retried after its lease")
        except Exception as error:
            logger.error("mail outbox: the sender task failed: %s", describe_error(error))
