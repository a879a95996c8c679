"""The background sender: claims, SKIP LOCKED between senders, retries with backoff, clean stop."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp import models  # noqa: F401  (registers the tables)
from teamsapp.core.db import create_engine
from teamsapp.mail import outbox
from teamsapp.mail.outbox import OutboxWorker, backoff, claim_due, running_outbox
from teamsapp.mail.senders import LogSender, SMTPSender
from teamsapp.mail.service import queue_mail
from teamsapp.models import MailStatus, OutboxMail
from teamsapp.models.base import utcnow
from tests import services
from tests.fixtures.mail import Mailbox
from tests.mail.helpers import MailLog, address, eventually


def _smtp(port: int | None = None) -> SMTPSender:
    return SMTPSender(
        host="127.0.0.1",
        port=port or int(os.environ["BACKEND_MAIL_PORT"]),
        sender="teamsapp <noreply@a.test>",
    )


async def _queue(engine: AsyncEngine, recipients: list[str], token: str = "tok") -> list[uuid.UUID]:
    ids = []
    async with AsyncSession(engine, expire_on_commit=False) as session:
        for to in recipients:
            mail = await queue_mail(
                session,
                to=to,
                template="verify_email",
                context={"name": "A", "link": f"http://h/v?token={token}"},
            )
            ids.append(mail.id)
        await session.commit()
    return ids


async def _rows(engine: AsyncEngine) -> dict[uuid.UUID, OutboxMail]:
    async with AsyncSession(engine) as session:
        return {row.id: row for row in (await session.exec(select(OutboxMail))).all()}


def test_backoff_doubles_from_one_second_up_to_five_minutes() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert backoff(outbox.MAX_ATTEMPTS).total_seconds() == 300


async def test_claims_skip_mails_another_sender_holds(outbox_engine: AsyncEngine) -> None:
    ids = await _queue(outbox_engine, [address("claim") for _ in range(5)])
    now = utcnow()
    async with AsyncSession(outbox_engine) as first, AsyncSession(outbox_engine) as second:
        held = await claim_due(first, limit=3, now=now)
        # Without SKIP LOCKED the second claim would wait for the first transaction.
        taken = await asyncio.wait_for(claim_due(second, limit=10, now=now), timeout=10)
        assert len(held) == 3
        assert len(taken) == 2
        assert {mail.id for mail in held} | {mail.id for mail in taken} == set(ids)
        await first.commit()
        await second.commit()
    for row in (await _rows(outbox_engine)).values():
        assert row.next_attempt_at >= now + outbox.CLAIM_LEASE
    async with AsyncSession(outbox_engine) as session:
        assert await claim_due(session, limit=10, now=utcnow()) == []


async def test_two_concurrent_senders_deliver_each_mail_once(
    outbox_engine: AsyncEngine, mailbox: Mailbox
) -> None:
    recipients = [address("concurrent") for _ in range(12)]
    await _queue(outbox_engine, recipients)
    first = OutboxWorker(sender=_smtp(), engine=outbox_engine, batch_size=3)
    second = OutboxWorker(sender=_smtp(), engine=outbox_engine, batch_size=3)
    claimed = []
    while True:
        counts = await asyncio.gather(first.run_once(), second.run_once())
        claimed.append(counts)
        if not any(counts):
            break
    assert sum(sum(counts) for counts in claimed) == 12
    for to in recipients:
        await mailbox.wait_for(to=to)
        assert len(mailbox.messages(to)) == 1
    assert {row.status for row in (await _rows(outbox_engine)).values()} == {MailStatus.SENT}


async def test_failures_back_off_and_give_up_after_the_attempt_limit(
    outbox_engine: AsyncEngine, mail_log: MailLog
) -> None:
    [mail_id] = await _queue(outbox_engine, [address("failing")], token="secret-token-42")
    worker = OutboxWorker(sender=_smtp(services.free_port()), engine=outbox_engine, max_attempts=3)

    for attempt in (1, 2, 3):
        before = utcnow()
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0, "a failed mail waits for its backoff"
        row = (await _rows(outbox_engine))[mail_id]
        assert row.attempts == attempt
        assert row.last_error is not None
        assert row.last_error.startswith("SMTPConnectError")
        assert before + backoff(attempt) <= row.next_attempt_at <= utcnow() + backoff(attempt)
        async with AsyncSession(outbox_engine) as session:
            session.add(row)
            row.next_attempt_at = before
            await session.commit()

    row = (await _rows(outbox_engine))[mail_id]
    assert (row.status, row.attempts, row.sent_at) == (MailStatus.FAILED, 3, None)
    assert await worker.run_once() == 0
    assert any("given up after 3 attempts" in line for line in mail_log.lines)
    assert sum("not sent via smtp (attempt" in line for line in mail_log.lines) == 2
    assert not any("secret-token-42" in line or "Hello" in line for line in mail_log.lines)


class _StopAfterFirst(LogSender):
    def __init__(self) -> None:
        self.worker: OutboxWorker | None = None

    async def send(self, mail: OutboxMail) -> None:
        await super().send(mail)
        assert self.worker is not None
        self.worker.request_stop()


async def test_stopping_mid_batch_hands_the_rest_back(outbox_engine: AsyncEngine) -> None:
    ids = await _queue(outbox_engine, [address("stop") for _ in range(3)])
    sender = _StopAfterFirst()
    worker = OutboxWorker(sender=sender, engine=outbox_engine)
    sender.worker = worker
    started = utcnow()
    assert await worker.run_once() == 3
    rows = await _rows(outbox_engine)
    assert sorted(rows[mail_id].status for mail_id in ids) == [
        MailStatus.PENDING,
        MailStatus.PENDING,
        MailStatus.SENT,
    ]
    for row in rows.values():
        if row.status == MailStatus.PENDING:
            assert row.attempts == 0
            assert row.next_attempt_at < started + outbox.CLAIM_LEASE


async def test_running_outbox_delivers_committed_mail_and_stops_cleanly(outbox_engine: AsyncEngine) -> None:
    async with running_outbox(sender=LogSender(), engine=outbox_engine) as worker:
        assert worker in outbox._running
        [mail_id] = await _queue(outbox_engine, [address("running")])

        async def sent() -> bool:
            return (await _rows(outbox_engine))[mail_id].status == MailStatus.SENT

        await eventually(sent, what="the running sender delivered the mail")
        assert worker.running
    assert worker not in outbox._running
    assert not worker.running


async def test_a_commit_wakes_the_sender_before_its_next_poll(outbox_engine: AsyncEngine) -> None:
    async with running_outbox(sender=LogSender(), engine=outbox_engine, poll_seconds=3600):
        first, second = address("wake"), address("wake")
        [first_id] = await _queue(outbox_engine, [first])

        async def sent(mail_id: uuid.UUID) -> bool:
            return (await _rows(outbox_engine))[mail_id].status == MailStatus.SENT

        await eventually(lambda: sent(first_id), what="the first pass delivered the first mail")
        # The sender now sleeps for an hour unless the commit below wakes it.
        [second_id] = await _queue(outbox_engine, [second])
        await eventually(lambda: sent(second_id), what="the commit woke the sender")


async def test_sqlite_outbox_uses_a_plain_select(tmp_path: Path, mailbox: Mailbox) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(
            SQLModel.metadata.create_all, tables=[SQLModel.metadata.tables["outbox_mail"]]
        )
    try:
        recipients = [address("sqlite") for _ in range(3)]
        await _queue(engine, recipients)
        statements: list[str] = []

        def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        assert await OutboxWorker(sender=_smtp(), engine=engine).run_once() == 3
        claims = [
            sql for sql in statements if "FROM outbox_mail" in sql and sql.lstrip().startswith("SELECT")
        ]
        assert claims
        assert not any("FOR UPDATE" in sql for sql in claims)
        for to in recipients:
            await mailbox.wait_for(to=to)
        assert {row.status for row in (await _rows(engine)).values()} == {MailStatus.SENT}
    finally:
        await engine.dispose()
