"""SendGrid: the sender posts the documented request to a local HTTP server standing in for the API.

The stand-in server runs on the test's own event loop, so these tests also prove that the blocking
`sendgrid` client runs off the loop: on it, the server could never answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.config import Settings
from teamsapp.mail.outbox import OutboxWorker
from teamsapp.mail.senders import DeliveryError, SendGridSender, get_sender
from teamsapp.mail.service import queue_mail
from teamsapp.models import MailStatus, OutboxMail
from tests.mail.helpers import address, counter

API_KEY = "SG.test-key-not-for-logs"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeSendGrid:
    """A real HTTP/1.1 server on loopback that records requests and answers with `status`."""

    status: int = 202
    answer: bytes = b""
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        method, path, _ = request_line.split(" ")
        headers = {}
        for line in filter(None, header_lines):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append(Request(method, path, headers, body))
        writer.write(
            f"HTTP/1.1 {self.status} Status\r\nContent-Length: {len(self.answer)}\r\n"
            f"Content-Type: application/json\r\nConnection: close\r\n\r\n".encode()
            + self.answer
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def sendgrid() -> AsyncIterator[FakeSendGrid]:
    fake = FakeSendGrid()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}"
    async with server:
        yield fake


def _mail(to: str) -> OutboxMail:
    return OutboxMail(
        to_address=to,
        subject="Reset your teamsapp password",
        text_body="open http://127.0.0.1:3000/reset-password?token=t",
        html_body="<p>open</p>",
        kind="reset_password",
    )


async def test_settings_with_an_api_key_post_the_mail_to_sendgrid(sendgrid: FakeSendGrid) -> None:
    settings = Settings(sendgrid_api_key=API_KEY, sendgrid_host=sendgrid.url + "/")
    sender = get_sender(settings)
    assert isinstance(sender, SendGridSender)
    to = address("sendgrid")
    await sender.send(_mail(to))

    [request] = sendgrid.requests
    assert request.method == "POST"
    assert request.path == "/v3/mail/send"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    body: dict[str, Any] = json.loads(request.body)
    assert body == {
        "personalizations": [{"to": [{"email": to}]}],
        "from": {"email": "noreply@teamsapp.local", "name": "teamsapp"},
        "subject": "Reset your teamsapp password",
        "content": [
            {"type": "text/plain", "value": "open http://127.0.0.1:3000/reset-password?token=t"},
            {"type": "text/html", "value": "<p>open</p>"},
        ],
    }


async def test_refusal_is_a_delivery_error_without_the_api_key(sendgrid: FakeSendGrid) -> None:
    sendgrid.status = 401
    sendgrid.answer = b'{"errors": [{"message": "The provided authorization grant is invalid"}]}'
    sender = SendGridSender(api_key=API_KEY, host=sendgrid.url, sender="noreply@teamsapp.local")
    with pytest.raises(DeliveryError) as raised:
        await sender.send(_mail(address()))
    assert "401" in str(raised.value)
    assert "authorization grant is invalid" in str(raised.value)
    assert API_KEY not in str(raised.value)


async def test_outbox_delivers_through_sendgrid_and_retries_its_outage(
    sendgrid: FakeSendGrid, outbox_engine: AsyncEngine
) -> None:
    to = address("sendgrid-outbox")
    async with AsyncSession(outbox_engine, expire_on_commit=False) as session:
        mail = await queue_mail(
            session,
            to=to,
            template="invitation",
            context={
                "team_name": "Blue",
                "inviter_name": "Grace",
                "role": "member",
                "link": "http://h/invite?token=t9",
            },
        )
        # An answer to a neutral request is delivered but never counted (it would tell who has an account).
        neutral = await queue_mail(
            session,
            to=to,
            template="verify_email",
            context={"name": "Ada", "link": "http://h/verify?token=t8"},
        )
        await session.commit()
    worker = OutboxWorker(
        sender=SendGridSender(api_key=API_KEY, host=sendgrid.url, sender="a@b.test"), engine=outbox_engine
    )
    failed_before = counter("teamsapp_mails_failed_total", backend="sendgrid")
    sent_before = counter("teamsapp_mails_sent_total", backend="sendgrid")

    sendgrid.status = 503
    assert await worker.run_once() == 2
    async with AsyncSession(outbox_engine) as session:
        for mail_id in (mail.id, neutral.id):
            row = await session.get(OutboxMail, mail_id)
            assert row is not None
            assert (row.status, row.attempts) == (MailStatus.PENDING, 1)
            assert row.last_error == "DeliveryError: SendGrid answered 503"
            row.next_attempt_at = row.created_at
        await session.commit()
    assert counter("teamsapp_mails_failed_total", backend="sendgrid") == failed_before + 1

    sendgrid.status = 202
    assert await worker.run_once() == 2
    async with AsyncSession(outbox_engine) as session:
        row = await session.get(OutboxMail, mail.id)
        assert row is not None
        assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 1, None)
    assert counter("teamsapp_mails_sent_total", backend="sendgrid") == sent_before + 1
    async with AsyncSession(outbox_engine) as session:
        delivered = await session.get(OutboxMail, neutral.id)
        assert delivered is not None
        assert delivered.status == MailStatus.SENT
    assert [
        json.loads(request.body)["personalizations"][0]["to"][0]["email"] for request in sendgrid.requests
    ] == [to, to, to, to]
