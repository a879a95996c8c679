"""Mail senders behind one interface: SMTP, SendGrid's API, and the log (the default)."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
import python_http_client.exceptions
from sendgrid import SendGridAPIClient

from teamsapp.core.config import MailTLS, Settings, get_settings
from teamsapp.models.base import utcnow
from teamsapp.models.mail import OutboxMail

logger = logging.getLogger("teamsapp.mail")

SEND_TIMEOUT_SECONDS = 30
DEFAULT_SMTP_PORTS = {MailTLS.NONE: 25, MailTLS.STARTTLS: 587, MailTLS.SSL: 465}
ERROR_DETAIL_MAX = 200


class DeliveryError(Exception):
    """The provider refused the mail or could not be reached; the message holds no secret."""


class Sender(Protocol):
    """Delivers one mail or raises; `backend` labels the metrics."""

    backend: str

    async def send(self, mail: OutboxMail) -> None:
        """Deliver `mail` now."""


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "teamsapp.local"


def build_message(mail: OutboxMail, *, sender: str) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative, and a Message-ID stable across retries."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = email.utils.format_datetime(utcnow())
    message["Message-ID"] = f"<{mail.id}@{_domain(email.utils.parseaddr(sender)[1])}>"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


class SMTPSender:
    """SMTP with optional STARTTLS or TLS (aiosmtplib); logs in only when a username is set.

    It runs on the event loop, so cancelling the outbox task (a shut-down) closes the connection
    at once instead of leaving a thread blocked on a stalled server.
    """

    backend = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int | None = None,
        username: str = "",
        password: str = "",
        tls: MailTLS = MailTLS.NONE,
        sender: str,
        ca_file: str | None = None,
    ) -> None:
        self.host = host
        self.port = port or DEFAULT_SMTP_PORTS[tls]
        self.username = username
        self.password = password
        self.tls = tls
        self.sender = sender
        self.ca_file = ca_file

    async def send(self, mail: OutboxMail) -> None:
        """Deliver `mail` through the SMTP server."""
        message = build_message(mail, sender=self.sender)
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username or None,
            password=self.password if self.username else None,
            use_tls=self.tls is MailTLS.SSL,
            # `none` means none: aiosmtplib would otherwise upgrade whenever the server offers it.
            start_tls=self.tls is MailTLS.STARTTLS,
            tls_context=_tls_context(self.ca_file),
            timeout=SEND_TIMEOUT_SECONDS,
        )


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    # With a CA file, only that bundle is trusted (a private CA, or the tests' own).
    return ssl.create_default_context(cafile=ca_file)


class SendGridSender:
    """SendGrid's v3 mail-send API through the `sendgrid` client (the host is configurable for tests).

    The client blocks (urllib), so each send runs in a thread.
    """

    backend = "sendgrid"

    def __init__(self, *, api_key: str, host: str, sender: str) -> None:
        self.api_key = api_key
        self.host = host.rstrip("/")
        self.sender = sender

    def payload(self, mail: OutboxMail) -> dict[str, Any]:
        """The JSON body SendGrid expects: plain text first, then HTML."""
        name, address = email.utils.parseaddr(self.sender)
        from_: dict[str, str] = {"email": address}
        if name:
            from_["name"] = name
        return {
            "personalizations": [{"to": [{"email": mail.to_address}]}],
            "from": from_,
            "subject": mail.subject,
            "content": [
                {"type": "text/plain", "value": mail.text_body},
                {"type": "text/html", "value": mail.html_body},
            ],
        }

    async def send(self, mail: OutboxMail) -> None:
        """POST the mail to SendGrid; anything but a 2xx answer raises `DeliveryError`."""
        await asyncio.to_thread(self._send_blocking, self.payload(mail))

    def _send_blocking(self, payload: dict[str, Any]) -> None:
        client = SendGridAPIClient(api_key=self.api_key, host=self.host)
        try:
            client.client.mail.send.post(request_body=payload, timeout=SEND_TIMEOUT_SECONDS)
        except python_http_client.exceptions.HTTPError as error:
            body = error.body.decode(errors="replace") if isinstance(error.body, bytes) else str(error.body)
            detail = " ".join(body.split())[:ERROR_DETAIL_MAX]
            raise DeliveryError(
                f"SendGrid answered {error.status_code}" + (f": {detail}" if detail else "")
            ) from None


class LogSender:
    """Writes the mail to the log, links included, so a local user can follow them."""

    backend = "log"

    async def send(self, mail: OutboxMail) -> None:
        """Log the recipient, the subject and the plain-text body."""
        logger.info(
            "mail (log backend) to %s\nSubject: %s\n\n%s", mail.to_address, mail.subject, mail.text_body
        )


def get_sender(settings: Settings | None = None) -> Sender:
    """The sender the settings choose: SendGrid with an API key, SMTP with a server, else the log."""
    settings = settings or get_settings()
    backend = settings.mail_backend
    if backend == "sendgrid":
        return SendGridSender(
            api_key=settings.sendgrid_api_key, host=settings.sendgrid_host, sender=settings.email_from
        )
    if backend == "smtp":
        assert settings.mail_server is not None
        return SMTPSender(
            host=settings.mail_server,
            port=settings.mail_port,
            username=settings.mail_username,
            password=settings.mail_password,
            tls=settings.mail_tls,
            sender=settings.email_from,
            ca_file=settings.mail_ca_file,
        )
    return LogSender()
