"""A browser's log-in: an HTTP-only cookie naming a server-side record of the session's tokens.

The access and refresh tokens never reach the browser. The cookie holds a random handle; Redis
holds the tokens under the handle's keyed hash. The websocket handshake carries the cookie, so
every Reflex event is checked against it (the Reflex client token is only an address, never a
credential). All tabs of a browser share one log-in session; a refresh is done once, under a lock,
and committed on its own so that a failing action never rolls back a rotated refresh token.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
from collections.abc import AsyncIterator
from http.cookies import CookieError, SimpleCookie
from typing import NamedTuple

from redis.exceptions import RedisError
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import service as auth_service
from teamsapp.auth.service import Principal
from teamsapp.core.config import get_settings
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Unauthorized, Unavailable
from teamsapp.core.redis import get_redis, key
from teamsapp.core.security import new_token, token_hash
from teamsapp.ui import routes
from teamsapp.users.schemas import TokenPair

COOKIE = "teamsapp_session"
# Set by the log-in page just before the hand-off; the code is good only with it (no log-in CSRF).
BINDING_COOKIE = "teamsapp_login_binding"
HANDOFF_SECONDS = 60
LOCK_SECONDS = 10
LOCK_POLL_SECONDS = 0.05
HANDLE_MAX = 100


class Handoff(NamedTuple):
    """A one-time log-in code, and the secret the browser that logged in must present with it."""

    code: str
    binding: str


class SignedOut(Unauthorized):
    """The browser has no live log-in (no cookie, an ended session, or a revoked one)."""

    def __init__(self) -> None:
        super().__init__("Please log in to continue.")


@dataclasses.dataclass(frozen=True)
class Client:
    """What the browser presented: the cookie's handle, and where it calls from (for the session list)."""

    handle: str | None
    device: str
    ip: str


def handle_from_cookie_header(header: str) -> str | None:
    """The session handle in a `Cookie:` header, if there is a well-formed one."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    if morsel is None or not morsel.value or len(morsel.value) > HANDLE_MAX:
        return None
    return morsel.value


def cookie_max_age() -> int:
    """How long the cookie (and the record) live: as long as a refresh token."""
    return get_settings().refresh_token_days * 24 * 3600


def _record_key(handle: str) -> str:
    return key("ui", "session", token_hash(handle))


def _handoff_key(code: str) -> str:
    return key("ui", "handoff", token_hash(code))


def _lock_key(handle: str) -> str:
    return key("ui", "session-lock", token_hash(handle))


def _unavailable() -> Unavailable:
    return Unavailable("Redis is unavailable, so the log-in cannot be checked; try again shortly.")


async def _save(handle: str, tokens: TokenPair) -> None:
    record = json.dumps({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token})
    await get_redis().set(_record_key(handle), record, ex=cookie_max_age())


async def _load(handle: str) -> TokenPair | None:
    raw = await get_redis().get(_record_key(handle))
    if raw is None:
        return None
    data = json.loads(raw)
    return TokenPair(access_token=data["access_token"], refresh_token=data["refresh_token"], expires_in=0)


async def start(tokens: TokenPair) -> Handoff:
    """Keep a new log-in's tokens; the one-time code the browser trades for the cookie, and its binding.

    The code alone is not enough: the hand-off also needs the binding as a cookie, which the log-in
    page sets in its own browser (`binding_script`), so a code sent to another browser is refused.
    """
    handle, code, binding = new_token(), new_token(), new_token()
    record = json.dumps({"handle": handle, "binding": token_hash(binding)})
    try:
        await _save(handle, tokens)
        await get_redis().set(_handoff_key(code), record, ex=HANDOFF_SECONDS)
    except RedisError:
        raise _unavailable() from None
    return Handoff(code=code, binding=binding)


def binding_script(binding: str) -> str:
    """The script that gives this browser the hand-off's binding cookie (for the hand-off path only)."""
    secure = "; secure" if get_settings().base_url.startswith("https://") else ""
    cookie = f"{BINDING_COOKIE}={binding}; path={routes.SESSION_START}; max-age={HANDOFF_SECONDS}"
    # Strict: a hand-off started from another site's page arrives without it.
    cookie += "; samesite=strict"
    return f"document.cookie = {json.dumps(cookie + secure)};"


async def redeem(code: str, binding: str | None) -> str | None:
    """The handle a one-time code stands for, once, and only with its browser's binding; else None.

    A code presented without the binding ends the log-in it stood for: nobody can use it any more.
    """
    if not code or len(code) > HANDLE_MAX:
        return None
    raw: str | None = await get_redis().getdel(_handoff_key(code))
    if raw is None:
        return None
    record = json.loads(raw)
    if not binding or not secrets.compare_digest(record["binding"], token_hash(binding)):
        await end(Client(handle=record["handle"], device="", ip=""))
        return None
    handle: str = record["handle"]
    return handle


async def end(client: Client) -> None:
    """Log the browser out: its log-in session ends on the server (its tokens stop at once)."""
    try:
        async with session_scope() as session:
            principal = await authenticate(session, client)
            await auth_service.logout(session, principal=principal)
    except (SignedOut, Unavailable):
        pass  # nothing left to end, or Redis is down: the record expires with the cookie
    await forget(client.handle)


async def forget(handle: str | None) -> None:
    """Drop a browser's record (after log-out, or when its session has ended)."""
    if handle:
        with contextlib.suppress(RedisError):
            await get_redis().delete(_record_key(handle))


@contextlib.asynccontextmanager
async def _locked(handle: str) -> AsyncIterator[None]:
    redis = get_redis()
    lock = _lock_key(handle)
    owner = secrets.token_hex(8)
    deadline = asyncio.get_running_loop().time() + LOCK_SECONDS
    while not await redis.set(lock, owner, nx=True, ex=LOCK_SECONDS):
        if asyncio.get_running_loop().time() > deadline:
            raise _unavailable()
        await asyncio.sleep(LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        if await redis.get(lock) == owner:
            await redis.delete(lock)


async def _refreshed(client: Client, handle: str, stale: TokenPair) -> TokenPair:
    async with _locked(handle):
        current = await _load(handle)
        if current is None:
            raise SignedOut()
        if current.access_token != stale.access_token:
            return current
        try:
            async with session_scope() as own:
                tokens = await auth_service.refresh(
                    own, refresh_token=current.refresh_token, device=client.device, ip=client.ip
                )
        except Unauthorized:
            await forget(handle)
            raise SignedOut() from None
        await _save(handle, tokens)
        return tokens


async def authenticate(session: AsyncSession, client: Client) -> Principal:
    """The caller behind the browser's cookie, refreshing its access token when it has run out."""
    if client.handle is None:
        raise SignedOut()
    try:
        tokens = await _load(client.handle)
        if tokens is None:
            raise SignedOut()
        try:
            return await auth_service.authenticate(session, access_token=tokens.access_token)
        except Unauthorized:
            tokens = await _refreshed(client, client.handle, tokens)
        try:
            return await auth_service.authenticate(session, access_token=tokens.access_token)
        except Unauthorized:
            await forget(client.handle)
            raise SignedOut() from None
    except RedisError:
        raise _unavailable() from None
