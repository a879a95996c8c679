"""Password hashing (bcrypt, off the event loop) and random tokens stored as hashes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

import bcrypt

from teamsapp.core.config import get_settings

BCRYPT_MAX_BYTES = 72


def password_too_long(password: str) -> bool:
    """bcrypt reads at most 72 bytes; a longer password is refused rather than cut."""
    return len(password.encode()) > BCRYPT_MAX_BYTES


def _hash(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


async def hash_password(password: str) -> str:
    """The bcrypt hash of a password, computed in a worker thread."""
    return await asyncio.to_thread(_hash, password, get_settings().bcrypt_rounds)


async def verify_password(password: str, password_hash: str) -> bool:
    """Whether the password matches the hash, checked in a worker thread."""
    return await asyncio.to_thread(bcrypt.checkpw, password.encode(), password_hash.encode())


def new_token() -> str:
    """A random URL-safe token for a link or a refresh token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The keyed SHA-256 of a token, as stored in the database (the token itself never is)."""
    key = get_settings().signing_key.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
