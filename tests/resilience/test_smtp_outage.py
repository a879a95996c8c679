"""The SMTP server down for a while: the actions that mail still succeed, the outbox keeps the
mails and retries, and once the server is back each mail arrives exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.resilience.clients import Account, client, sign_up
from tests.resilience.processes import AppServer
from tests.resilience.stack import Stack

SIGN_UPS = 6
WAIT_SECONDS = 60


async def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} not reached within {WAIT_SECONDS}s"
        await asyncio.sleep(0.2)


def _outbox(stack: Stack, accounts: list[Account]) -> list[tuple[Any, ...]]:
    return stack.query(
        "SELECT to_address, status, attempts FROM outbox_mail WHERE to_address = ANY(%s)",
        [account.email for account in accounts],
    )


async def test_smtp_outage_loses_no_mail(stack: Stack, app_server: AppServer) -> None:
    stack.mailbox.stop()
    try:
        async with client(app_server.url) as http:
            # Each sign-up answers 201 and queues its verification mail, SMTP or not.
            accounts = [await sign_up(stack, http, verified=False) for _ in range(SIGN_UPS)]
        await _until(
            lambda: all(int(attempts) >= 2 for _, _, attempts in _outbox(stack, accounts)),
            "two failed delivery attempts of every mail",
        )
        during = _outbox(stack, accounts)
    finally:
        stack.mailbox.start()

    await _until(
        lambda: all(status == "sent" for _, status, _ in _outbox(stack, accounts)), "every mail marked sent"
    )
    # A few more sender passes: a mail sent twice would show up now.
    await asyncio.sleep(3)
    received = {account.email: len(stack.mailbox.messages(account.email)) for account in accounts}
    after = _outbox(stack, accounts)
    print(f"outbox during the outage (address, status, attempts): {during}")
    print(f"after: {after}; received per address: {received}")
    assert len(during) == SIGN_UPS and all(status == "pending" for _, status, _ in during), during
    assert received == {account.email: 1 for account in accounts}, received
