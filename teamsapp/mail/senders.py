"""Mail senders behind one interface: SMTP, SendGrid's API, and the log (the default)."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

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
    """SMTP with optional STARTTLS or TLS; logs in only when a username is set."""

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
    ) -> None:
        self.host = host
        self.port = port or DEFAULT_SMTP_PORTS[tls]
        self.username = username
        self.password = password
        self.tls = tls
        self.sender = sender

    async def send(self, mail: OutboxMail) -> None:
        """Deliver `mail` through the SMTP server, off the event loop."""
        message = build_message(mail, sender=self.sender)
        await asyncio.to_thread(self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls is MailTLS.SSL:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SEND_TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SEND_TIMEOUT_SECONDS)
        with smtp:
            if self.tls is MailTLS.STARTTLS:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


class SendGridSender:
    """SendGrid's v3 mail-send API over HTTPS (the host is configurable for tests)."""

    backend = "sendgrid"

    def __init__(self, *, api_key: str, host: str, sender: str) -> None:
        self.api_key = api_key
        self.url = f"{host.rstrip('/')}/v3/mail/send"
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
        async with httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS) as client:
            response = await client.post(
                self.url,
                json=self.payload(mail),
                headers={"Authorization": f"Bearer {self.api_key}"},
            )
        if not response.is_success:
            detail = " ".join(response.text.split())[:ERROR_DETAIL_MAX]
            raise DeliveryError(
                f"SendGrid answered {response.status_code}" + (f": {detail}" if detail else "")
            )


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
        )
    return LogSender()
