"""queue_mail: the outbox row is part of the caller's transaction."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from teamsapp.core.db import session_scope
from teamsapp.mail.rendering import MailTemplateError
from teamsapp.mail.service import build_link, queue_mail
from teamsapp.models import MailStatus, OutboxMail
from tests.mail.helpers import address, counter


async def _rows(to: str) -> list[OutboxMail]:
    async with session_scope() as session:
        return list((await session.exec(select(OutboxMail).where(col(OutboxMail.to_address) == to))).all())


def test_build_link_starts_with_the_public_url() -> None:
    assert build_link("/reset-password", "a b&c") == "http://127.0.0.1:3000/reset-password?token=a+b%26c"
    assert build_link("/verify", "tok_-123") == "http://127.0.0.1:3000/verify?token=tok_-123"


async def test_queued_mail_is_written_with_the_transaction() -> None:
    to = address("queued")
    before = counter("teamsapp_mails_queued_total", kind="reset_password")
    async with session_scope() as session:
        mail = await queue_mail(
            session, to=to, template="reset_password", context={"name": "Ada", "link": build_link("/r", "t1")}
        )
        assert mail in session.new
    rows = await _rows(to)
    assert len(rows) == 1
    assert rows[0].kind == "reset_password"
    assert rows[0].subject == "Reset your teamsapp password"
    assert rows[0].status in {MailStatus.PENDING, MailStatus.SENT}
    assert "http://127.0.0.1:3000/r?token=t1" in rows[0].text_body
    # A reset mail answers a neutral request: counting it would tell that the address has an account.
    assert counter("teamsapp_mails_queued_total", kind="reset_password") == before


async def test_rolled_back_action_leaves_no_mail() -> None:
    to = address("rolledback")
    with pytest.raises(RuntimeError):
        async with session_scope() as session:
            await queue_mail(
                session, to=to, template="verify_email", context={"name": "A", "link": "http://x/v"}
            )
            raise RuntimeError("the action failed")
    assert await _rows(to) == []


async def test_queue_mail_refuses_a_bad_template_or_address() -> None:
    async with session_scope() as session:
        with pytest.raises(MailTemplateError):
            await queue_mail(session, to=address(), template="verify_email", context={"name": "A"})
        with pytest.raises(ValueError, match="not a deliverable mail address"):
            await queue_mail(
                session, to="a@b.c\r\nBcc: x@y.z", template="verify_email", context={"name": "A", "link": "l"}
            )
        assert not session.new
