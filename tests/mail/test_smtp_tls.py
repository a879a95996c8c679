"""SMTP over TLS (STARTTLS and implicit TLS) with a certificate the test's own CA signed, and a send
cancelled by a shut-down while the server stalls.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.config import MailTLS, Settings
from teamsapp.mail.outbox import running_outbox
from teamsapp.mail.senders import SMTPSender, get_sender
from teamsapp.mail.service import queue_mail
from teamsapp.models import MailStatus, OutboxMail
from tests import services
from tests.mail.helpers import address

CLOSE_SECONDS = 5
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class _Collector:
    def __init__(self) -> None:
        self.recipients: list[str] = []
        self.secure: list[bool] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        assert server.transport is not None
        self.secure.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 OK"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
) -> AuthResult:
    assert isinstance(data, LoginPassword)
    return AuthResult(success=(data.login, data.password) == (b"mailer", b"s3cret"))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(params=[MailTLS.STARTTLS, MailTLS.SSL])
def tls_server(
    request: pytest.FixtureRequest, server_context: ssl.SSLContext
) -> Iterator[tuple[MailTLS, int, _Collector]]:
    """aiosmtpd with STARTTLS required (and AUTH only after it), or with implicit TLS."""
    tls: MailTLS = request.param
    collector = _Collector()
    port = services.free_port()
    options: dict[str, object] = (
        {"tls_context": server_context, "require_starttls": True}
        if tls is MailTLS.STARTTLS
        # aiosmtpd does not count implicit TLS as TLS for AUTH; the session is TLS all the same.
        else {"ssl_context": server_context, "auth_require_tls": False}
    )
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_required=True,
        ready_timeout=10,
        **options,  # type: ignore[arg-type]
    )
    controller.start()
    try:
        yield tls, port, collector
    finally:
        controller.stop()


def _mail(to: str) -> OutboxMail:
    return OutboxMail(to_address=to, subject="s", text_body="t", html_body="<p>h</p>", kind="x")


async def test_mail_goes_over_tls_to_a_server_the_ca_file_trusts(
    tls_server: tuple[MailTLS, int, _Collector], ca_file: Path
) -> None:
    tls, port, collector = tls_server
    settings = Settings(
        _env_file=None,
        mail_server="127.0.0.1",
        mail_port=port,
        mail_tls=tls,
        mail_username="mailer",
        mail_password="s3cret",
        mail_ca_file=str(ca_file),
    )
    to = address(f"tls-{tls}")
    await get_sender(settings).send(_mail(to))
    assert collector.recipients == [to]
    assert collector.secure == [True]


async def test_a_certificate_the_sender_does_not_trust_is_refused(
    tls_server: tuple[MailTLS, int, _Collector],
) -> None:
    tls, port, collector = tls_server
    sender = SMTPSender(
        host="127.0.0.1", port=port, tls=tls, username="mailer", password="s3cret", sender="a@b.test"
    )
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        await sender.send(_mail(address("untrusted")))
    assert collector.recipients == []


class _StallingServer:
    """Accepts SMTP connections and never answers; notes when the client hangs up."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connected.set()
        while await reader.read(1024):
            pass
        self.closed.set()
        writer.close()


@pytest.fixture
async def stalling() -> AsyncIterator[tuple[_StallingServer, int]]:
    stall = _StallingServer()
    server = await asyncio.start_server(stall.handle, "127.0.0.1", 0)
    async with server:
        yield stall, server.sockets[0].getsockname()[1]


async def test_cancelling_a_send_closes_its_connection(stalling: tuple[_StallingServer, int]) -> None:
    stall, port = stalling
    sender = SMTPSender(host="127.0.0.1", port=port, sender="a@b.test")
    task = asyncio.create_task(sender.send(_mail(address("stalled"))))
    await asyncio.wait_for(stall.connected.wait(), CLOSE_SECONDS)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, CLOSE_SECONDS)
    # The send itself stopped: the server sees the client hang up, not a thread still waiting.
    await asyncio.wait_for(stall.closed.wait(), CLOSE_SECONDS)


async def test_a_shut_down_during_a_stalled_send_ends_it(
    stalling: tuple[_StallingServer, int], outbox_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stall, port = stalling
    monkeypatch.setattr("teamsapp.mail.outbox.STOP_GRACE_SECONDS", 0.5)
    async with AsyncSession(outbox_engine, expire_on_commit=False) as session:
        mail = await queue_mail(
            session,
            to=address("shutdown"),
            template="verify_email",
            context={"name": "A", "link": "http://h/v"},
        )
        await session.commit()
    sender = SMTPSender(host="127.0.0.1", port=port, sender="a@b.test")
    async with running_outbox(sender=sender, engine=outbox_engine, poll_seconds=0.1):
        await asyncio.wait_for(stall.connected.wait(), CLOSE_SECONDS)
    await asyncio.wait_for(stall.closed.wait(), CLOSE_SECONDS)
    async with AsyncSession(outbox_engine) as session:
        row = await session.get(OutboxMail, mail.id)
        assert row is not None
        # Not sent and not failed: the lease runs out and the next worker retries it.
        assert (row.status, row.attempts) == (MailStatus.PENDING, 0)
