"""Helpers shared by the mail tests: unique addresses, polling, a throwaway outbox database."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from prometheus_client import REGISTRY


def address(label: str = "mail") -> str:
    """A recipient no other test uses."""
    return f"{label}-{secrets.token_hex(5)}@example.test"


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 20, what: str = "") -> None:
    """Poll `check` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.1)


def counter(name: str, **labels: str) -> float:
    """The current value of a Prometheus counter sample (0 before its first increment)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


class MailLog(logging.Handler):
    """Sees records on the mail logger itself, before any root handler (which may redact) runs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
