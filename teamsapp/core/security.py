"""Password hashing (bcrypt, off the event loop) and random tokens stored as hashes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt

from teamsapp.core.config import get_settings

BCRYPT_MAX_BYTES = 72
HASHING_NICENESS = 10
T = TypeVar("T")


def password_too_long(password: str) -> bool:
    """bcrypt reads at most 72 bytes; a longer password is refused rather than cut."""
    return len(password.encode()) > BCRYPT_MAX_BYTES


def _lower_priority() -> None:
    # A nice'd hashing thread takes only the CPU the event loop leaves, so log-ins use every core
    # without slowing the other requests of the same worker (Linux nices threads one by one).
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


@functools.cache
def _hashing_pool() -> ThreadPoolExecutor:
    # bcrypt releases the GIL, so one thread per core hashes in parallel.
    return ThreadPoolExecutor(
        max_workers=os.cpu_count() or 1, thread_name_prefix="bcrypt", initializer=_lower_priority
    )


async def _off_loop(work: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool(), work, *args)


@functools.cache
def password_check_gate() -> asyncio.Semaphore:
    """Held around a log-in's database work and hashing: a burst of log-ins queues here, holding no
    database connection, instead of draining the connection pool while the hashing threads are busy."""
    return asyncio.Semaphore(2 * (os.cpu_count() or 1))


def _hash(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


async def hash_password(password: str) -> str:
    """The bcrypt hash of a password, computed in a low-priority hashing thread."""
    return await _off_loop(_hash, password, get_settings().bcrypt_rounds)


async def verify_password(password: str, password_hash: str) -> bool:
    """Whether the password matches the hash, checked in a low-priority hashing thread."""
    return await _off_loop(bcrypt.checkpw, password.encode(), password_hash.encode())


def new_token() -> str:
    """A random URL-safe token for a link or a refresh token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The keyed SHA-256 of a token, as stored in the database (the token itself never is)."""
    key = get_settings().signing_key.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
