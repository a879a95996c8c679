"""SMTP end to end: the app's background sender delivers to a real SMTP server, through outages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlmodel import col, select

from teamsapp.core.config import MailTLS, Settings, get_settings
from teamsapp.core.db import session_scope
from teamsapp.mail.senders import SMTPSender, get_sender
from teamsapp.mail.service import build_link, queue_mail
from teamsapp.models import MailStatus, OutboxMail
from tests import services
from tests.fixtures.mail import Mailbox
from tests.mail.helpers import address, counter, eventually


async def _mails(ids: list[uuid.UUID]) -> list[OutboxMail]:
    async with session_scope() as session:
        statement = select(OutboxMail).where(col(OutboxMail.id).in_(ids))
        return list((await session.exec(statement)).all())


def test_settings_with_a_mail_server_choose_smtp() -> None:
    sender = get_sender()
    assert isinstance(sender, SMTPSender)
    assert (sender.host, sender.port, sender.username) == ("127.0.0.1", get_settings().mail_port, "")
    tls_sender = get_sender(Settings(mail_server="smtp.example.test", mail_port=None, mail_tls=MailTLS.SSL))
    assert isinstance(tls_sender, SMTPSender)
    assert (tls_sender.host, tls_sender.port, tls_sender.tls) == ("smtp.example.test", 465, MailTLS.SSL)


async def test_queued_mail_arrives_with_text_html_and_link(app_lifespan: None, mailbox: Mailbox) -> None:
    to = address("verify")
    link = build_link("/verify", "tok-123")
    async with session_scope() as session:
        mail = await queue_mail(
            session, to=to, template="verify_email", context={"name": "Ada <Lovelace>", "link": link}
        )
    message = await mailbox.wait_for(to=to, subject_contains="Confirm your email")
    assert mailbox.link_token(message) == "tok-123"
    assert mailbox.link(message) == "http://127.0.0.1:3000/verify?token=tok-123"
    assert str(message["From"]) == get_settings().email_from
    assert str(message["To"]) == to
    assert message["Message-ID"] == f"<{mail.id}@teamsapp.local>"
    assert message.get_content_type() == "multipart/alternative"
    assert "Hello Ada <Lovelace>," in mailbox.text(message)
    assert "Hello Ada &lt;Lovelace&gt;," in mailbox.html(message)
    assert 'href="http://127.0.0.1:3000/verify?token=tok-123"' in mailbox.html(message)

    async def recorded_sent() -> bool:
        return [row.status for row in await _mails([mail.id])] == [MailStatus.SENT]

    await eventually(recorded_sent, what="the outbox row marked sent")
    [row] = await _mails([mail.id])
    assert row.sent_at is not None
    assert row.attempts == 0


async def test_mail_waits_out_an_smtp_outage_and_arrives_exactly_once(
    app_lifespan: None, mailbox: Mailbox
) -> None:
    recipients = [address("outage") for _ in range(4)]
    failed_before = counter("teamsapp_mails_failed_total", backend="smtp")
    mailbox.stop()
    try:
        ids = []
        for to in recipients:
            async with session_scope() as session:
                link = build_link("/invite", f"token-{to}")
                context = {"team_name": "T", "inviter_name": "I", "role": "member", "link": link}
                mail = await queue_mail(session, to=to, template="invitation", context=context)
                ids.append(mail.id)

        async def retried_twice() -> bool:
            rows = await _mails(ids)
            return all(row.status == MailStatus.PENDING and row.attempts >= 2 for row in rows)

        await eventually(retried_twice, what="every mail pending with at least two failed attempts")
        for row in await _mails(ids):
            assert row.last_error
            assert "SMTPConnectError" in row.last_error
            assert "token-" not in row.last_error
        assert counter("teamsapp_mails_failed_total", backend="smtp") >= failed_before + 2 * len(ids)
    finally:
        mailbox.start()

    for to in recipients:
        message = await mailbox.wait_for(to=to, timeout=30)
        assert mailbox.link_token(message) == f"token-{to}"

    async def all_sent() -> bool:
        return all(row.status == MailStatus.SENT for row in await _mails(ids))

    await eventually(all_sent, what="every outbox row marked sent")
    for to in recipients:
        assert len(mailbox.messages(to)) == 1


class _Authenticator:
    def __init__(self) -> None:
        self.logins: list[tuple[bytes, bytes]] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")


class _Collector:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_sender_logs_in_when_a_username_is_set() -> None:
    authenticator, collector = _Authenticator(), _Collector()
    port = services.free_port()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        sender = SMTPSender(
            host="127.0.0.1", port=port, username="mailer", password="s3cret", sender="teamsapp <a@b.test>"
        )
        to = address("auth")
        await sender.send(
            OutboxMail(to_address=to, subject="s", text_body="t", html_body="<p>h</p>", kind="x")
        )
    finally:
        controller.stop()
    assert authenticator.logins == [(b"mailer", b"s3cret")]
    assert collector.recipients == [to]
