"""The log backend (the default): the mail and its link land in the log for a local user."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.config import Settings
from teamsapp.mail.outbox import OutboxWorker
from teamsapp.mail.senders import LogSender, get_sender
from teamsapp.mail.service import queue_mail
from teamsapp.models import MailStatus, OutboxMail
from tests.mail.helpers import MailLog, address


def test_no_mail_settings_choose_the_log() -> None:
    assert isinstance(get_sender(Settings(mail_server=None, sendgrid_api_key="")), LogSender)


async def test_log_sender_prints_recipient_subject_and_link(
    outbox_engine: AsyncEngine, mail_log: MailLog
) -> None:
    to = address("log")
    link = "http://localhost:8000/verify?token=click-me-123"
    async with AsyncSession(outbox_engine, expire_on_commit=False) as session:
        mail = await queue_mail(
            session, to=to, template="verify_email", context={"name": "Ada", "link": link}
        )
        await session.commit()

    assert await OutboxWorker(sender=LogSender(), engine=outbox_engine).run_once() == 1

    [logged] = [line for line in mail_log.lines if "log backend" in line]
    assert to in logged
    assert "Subject: Confirm your email address for teamsapp" in logged
    assert link in logged
    others = [line for line in mail_log.lines if "log backend" not in line]
    assert any(str(mail.id) in line and "sent via log" in line for line in others)
    assert not any("click-me-123" in line or "Hello" in line for line in others)
    async with AsyncSession(outbox_engine) as session:
        row = await session.get(OutboxMail, mail.id)
        assert row is not None
        assert row.status == MailStatus.SENT
