"""Queue mails: rendered at once and written to the outbox in the caller's transaction."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.core.config import get_settings
from teamsapp.mail import outbox
from teamsapp.mail.rendering import NEUTRAL_KINDS, TEMPLATES, MailTemplateError, render
from teamsapp.models.mail import OutboxMail
from teamsapp.models.users import EMAIL_MAX
from teamsapp.observability.metrics import MAILS_QUEUED

__all__ = ["TEMPLATES", "MailTemplateError", "build_link", "queue_mail"]


def build_link(path: str, token: str) -> str:
    """A link for a mail: the public URL, a UI path and the token (`/verify` -> `.../verify?token=...`)."""
    return f"{get_settings().base_url}{path}?{urlencode({'token': token})}"


async def queue_mail(session: AsyncSession, *, to: str, template: str, context: dict[str, str]) -> OutboxMail:
    """Render `template` and add the mail to the outbox in the session's transaction (never commits).

    The background sender delivers it once the transaction commits; a rollback drops it. An unknown
    template or missing/unexpected context keys raise `MailTemplateError`.
    """
    address = to.strip()
    if not address or len(address) > EMAIL_MAX or "\r" in address or "\n" in address:
        raise ValueError(f"not a deliverable mail address: {to!r}")
    rendered = render(template, context)
    mail = OutboxMail(
        to_address=address,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        kind=template,
    )
    session.add(mail)
    outbox.wake_after_commit(session)
    if template not in NEUTRAL_KINDS:
        MAILS_QUEUED.labels(kind=template).inc()
    return mail
