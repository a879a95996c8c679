"""Log-in, refresh, authentication and log-in sessions; every rule of SPEC 4 about them lives here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import uuid

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import cache as access_cache
from teamsapp.auth import mfa, ratelimit, tokens
from teamsapp.auth.schemas import MfaChallenge
from teamsapp.core.config import get_settings
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Invalid, NotFound, PermissionDenied, RateLimited, Unauthorized
from teamsapp.core.security import (
    hash_password,
    new_token,
    password_check_gate,
    password_too_long,
    token_hash,
    verify_password,
)
from teamsapp.models import LoginSession, User
from teamsapp.models.base import utcnow
from teamsapp.observability.metrics import LOGINS, TOKENS_ISSUED, TOKENS_USED
from teamsapp.users.schemas import SessionPublic, TokenPair, normalize_login

DEVICE_MAX = 255
IP_MAX = 45
LAST_SEEN_STEP = dt.timedelta(minutes=1)
WRONG_CREDENTIALS = (
    "Wrong login or password. Until your email address is confirmed, log in with your username."
)
SESSION_ENDED = "Your session has ended; log in again."
CODE_NEEDED = (
    "This account uses two-factor authentication: log in with JSON at POST /api/v1/user/auth, "
    "then send the code with the `mfa_token` to POST /api/v1/user/auth/2fa."
)
ACCOUNT_DISABLED = "Account disabled: this account has been disabled by an administrator."

_dummy_hash: str | None = None

# The session and its user in one round trip; it runs on every authenticated request, so it is
# built once (building and keying a statement costs more than running it).
_SESSION_WITH_USER = (
    select(LoginSession, User)
    .join(User, col(User.id) == col(LoginSession.user_id))
    .where(col(LoginSession.id) == bindparam("session_id"), col(User.id) == bindparam("user_id"))
)


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling: the user and the log-in session the token belongs to."""

    user: User
    session_id: uuid.UUID


async def _dummy_password_hash() -> str:
    # Checked against when the login names nobody, so that unknown users cost as much as wrong passwords.
    global _dummy_hash  # noqa: PLW0603
    if _dummy_hash is None:
        _dummy_hash = await hash_password(new_token())
    return _dummy_hash


async def find_user_by_login(session: AsyncSession, *, login: str) -> User | None:
    """The user whose username is `login`, or who confirmed the address `login` (stored lower-cased).

    An unconfirmed address logs nobody in: several accounts may name it, and an answer that
    depended on them would tell whether the address has an account.
    """
    login = normalize_login(login)
    if "@" in login:
        statement = select(User).where(User.email == login, col(User.is_verified).is_(True))
    else:
        statement = select(User).where(User.username == login)
    result = await session.exec(statement)
    return result.first()


def _clip(value: str, limit: int) -> str:
    return value[:limit]


def _refresh_tag(session_hex: str, secret: str) -> str:
    return token_hash(f"refresh-token:{session_hex}.{secret}")[:32]


def _new_refresh_token(session_id: uuid.UUID) -> str:
    # `<session>.<secret>.<tag>`: the tag proves the server issued the token, so only a token it
    # really issued can count as a reused one; a forged `<session>.<anything>` revokes nothing.
    secret = new_token()
    return f"{session_id.hex}.{secret}.{_refresh_tag(session_id.hex, secret)}"


def _session_id_of(refresh_token: str) -> tuple[uuid.UUID, bool]:
    """The session a refresh token names, and whether the server issued it (a token from before
    the tag was added has none: it still rotates, but cannot trigger the reuse revocation)."""
    parts = refresh_token.split(".")
    try:
        if len(parts) not in (2, 3) or not parts[1]:
            raise ValueError(refresh_token)
        session_id = uuid.UUID(hex=parts[0])
    except ValueError:
        raise Unauthorized("This refresh token is not valid; log in again.") from None
    if len(parts) == 2:
        return session_id, False
    if not hmac.compare_digest(parts[2], _refresh_tag(parts[0], parts[1])):
        raise Unauthorized("This refresh token is not valid; log in again.")
    return session_id, True


def _token_pair(
    *, user_id: uuid.UUID, session_id: uuid.UUID, refresh_token: str, now: dt.datetime
) -> TokenPair:
    TOKENS_ISSUED.labels("access").inc()
    TOKENS_ISSUED.labels("refresh").inc()
    return TokenPair(
        access_token=tokens.encode_access_token(user_id=user_id, session_id=session_id, now=now),
        refresh_token=refresh_token,
        expires_in=get_settings().access_token_minutes * 60,
    )


async def open_session(session: AsyncSession, *, user: User, device: str, ip: str) -> TokenPair:
    """Start a log-in session for a user whose credentials were checked, and issue its tokens."""
    now = utcnow()
    session_id = uuid.uuid4()
    refresh_token = _new_refresh_token(session_id)
    session.add(
        LoginSession(
            id=session_id,
            user_id=user.id,
            refresh_token_hash=token_hash(refresh_token),
            device=_clip(device, DEVICE_MAX),
            ip=_clip(ip, IP_MAX),
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(days=get_settings().refresh_token_days),
        )
    )
    await session.flush()
    return _token_pair(user_id=user.id, session_id=session_id, refresh_token=refresh_token, now=now)


async def login(session: AsyncSession, *, login: str, password: str, device: str, ip: str) -> TokenPair:
    """Check the credentials (rate limited per account and per address) and open a session.

    For callers that cannot send a code (the OAuth2 form): an account with two-factor authentication
    on is refused with a 401 saying so, after its password was found right.
    """
    result = await start_login(session, login=login, password=password, device=device, ip=ip, two_step=False)
    if not isinstance(result, TokenPair):
        raise Unauthorized(CODE_NEEDED)
    return result


async def start_login(
    session: AsyncSession, *, login: str, password: str, device: str, ip: str, two_step: bool = True
) -> TokenPair | MfaChallenge:
    """Check the credentials and open a session, or, with two-factor authentication on, ask for a code."""
    if password_too_long(password):
        raise Invalid("The password is longer than 72 bytes.", field="password")
    async with password_check_gate():
        return await _check_credentials(
            session, login=login, password=password, device=device, ip=ip, two_step=two_step
        )


async def _check_credentials(
    session: AsyncSession, *, login: str, password: str, device: str, ip: str, two_step: bool
) -> TokenPair | MfaChallenge:
    user = await find_user_by_login(session, login=login)
    # Checking the password takes a quarter of a second: the connection goes back to the pool
    # meanwhile (ending the read-only transaction), so log-ins do not starve other requests of it.
    await session.commit()
    account = str(user.id) if user else normalize_login(login)
    try:
        # Counted before the password is checked, so parallel guesses cannot outrun the limit.
        await ratelimit.attempt_login(account=account, ip=ip)
    except RateLimited:
        LOGINS.labels("rate_limited").inc()
        raise
    stored_hash = user.password_hash if user else await _dummy_password_hash()
    matches = await verify_password(password, stored_hash)
    if user is None or not matches:
        LOGINS.labels("failure").inc()
        raise Unauthorized(WRONG_CREDENTIALS)
    # Said only after a right password: a wrong one answers as for anyone, so this tells nothing new.
    if not user.is_active:
        await ratelimit.clear_login_failures(account=account, ip=ip)
        LOGINS.labels("failure").inc()
        raise PermissionDenied(ACCOUNT_DISABLED)
    if user.two_factor_enabled:
        # A right password is no failure, but the account's earlier failures are forgiven only once
        # the code is right too (auth/two_factor.py).
        await ratelimit.forgive_login_attempt(account=account, ip=ip)
        LOGINS.labels("mfa_required").inc()
        if not two_step:
            raise Unauthorized(CODE_NEEDED)
        return await mfa.issue(user=user)
    await ratelimit.clear_login_failures(account=account, ip=ip)
    LOGINS.labels("success").inc()
    return await open_session(session, user=user, device=device, ip=ip)


async def check_current_password(user: User, *, password: str) -> None:
    """Confirm a sensitive change with the current password; wrong guesses count as failed log-ins."""
    if password_too_long(password):
        raise Invalid("The password is longer than 72 bytes.", field="current_password")
    account = str(user.id)
    await ratelimit.attempt_login(account=account, ip=None)
    if not await verify_password(password, user.password_hash):
        raise Invalid("The current password is wrong.", field="current_password")
    await ratelimit.forgive_login_attempt(account=account, ip=None)


def _active(login_session: LoginSession, now: dt.datetime) -> bool:
    return login_session.revoked_at is None and login_session.expires_at > now


async def _revoke_if_reused(session_id: uuid.UUID, presented_hash: str) -> bool:
    # A separate transaction on purpose: the revocation must survive the 401 that follows, which rolls
    # back the caller's transaction. It runs before the caller's session writes anything.
    async with session_scope() as own:
        result = await own.exec(
            update(LoginSession)
            .where(
                col(LoginSession.id) == session_id,
                col(LoginSession.revoked_at).is_(None),
                col(LoginSession.refresh_token_hash) != presented_hash,
            )
            .values(revoked_at=utcnow())
            .returning(col(LoginSession.user_id))
        )
        revoked = result.first()
        if revoked is not None:
            access_cache.invalidate(own, user_id=revoked[0], session_ids=[session_id])
        return revoked is not None


async def refresh(session: AsyncSession, *, refresh_token: str, device: str, ip: str) -> TokenPair:
    """Rotate the refresh token and issue a new access token; a reused refresh token ends its session."""
    session_id, issued = _session_id_of(refresh_token)
    presented_hash = token_hash(refresh_token)
    if issued and await _revoke_if_reused(session_id, presented_hash):
        raise Unauthorized("This refresh token was already used; the session has been ended for safety.")
    now = utcnow()
    new_refresh_token = _new_refresh_token(session_id)
    result = await session.exec(
        update(LoginSession)
        .where(
            col(LoginSession.id) == session_id,
            col(LoginSession.refresh_token_hash) == presented_hash,
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > now,
        )
        .values(
            refresh_token_hash=token_hash(new_refresh_token),
            last_seen_at=now,
            ip=_clip(ip, IP_MAX),
            expires_at=now + dt.timedelta(days=get_settings().refresh_token_days),
        )
        .returning(col(LoginSession.user_id))
    )
    user_id = result.first()
    if user_id is None:
        raise Unauthorized(SESSION_ENDED)
    TOKENS_USED.labels("refresh").inc()
    return _token_pair(user_id=user_id[0], session_id=session_id, refresh_token=new_refresh_token, now=now)


async def authenticate(session: AsyncSession, *, access_token: str) -> Principal:
    """The caller of a valid access token whose session is live and whose password has not changed since."""
    claims = tokens.decode_access_token(access_token)
    now = utcnow()
    # A session checked here recently, while every change to it would have reached this worker.
    cached = access_cache.lookup(session, session_id=claims.session_id, user_id=claims.user_id, now=now)
    if cached is not None and claims.issued_at >= cached.password_changed_at.timestamp():
        return Principal(user=cached, session_id=claims.session_id)
    mark = access_cache.mark()
    result = await session.exec(
        _SESSION_WITH_USER, params={"session_id": claims.session_id, "user_id": claims.user_id}
    )
    row = result.first()
    if row is None or not _active(row[0], now):
        raise Unauthorized(SESSION_ENDED)
    login_session, user = row
    if not user.is_active:
        raise Unauthorized(ACCOUNT_DISABLED)
    if claims.issued_at < user.password_changed_at.timestamp():
        raise Unauthorized("The password changed since this token was issued; refresh it or log in again.")
    if now - login_session.last_seen_at > LAST_SEEN_STEP:
        login_session.last_seen_at = now
    valid_until = min(login_session.expires_at, login_session.last_seen_at + LAST_SEEN_STEP)
    access_cache.store(mark, session_id=login_session.id, user=user, valid_until=valid_until)
    return Principal(user=user, session_id=login_session.id)


async def logout(session: AsyncSession, *, principal: Principal) -> None:
    """End the caller's session; its access and refresh tokens stop working at once."""
    await _revoke(session, user_id=principal.user.id, session_id=principal.session_id)


async def _revoke(session: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    result = await session.exec(
        update(LoginSession)
        .where(
            col(LoginSession.id) == session_id,
            col(LoginSession.user_id) == user_id,
            col(LoginSession.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
        .returning(col(LoginSession.id))
    )
    access_cache.invalidate(session, user_id=user_id, session_ids=[session_id])
    return result.first() is not None


async def end_sessions(session: AsyncSession, *, user_id: uuid.UUID, keep: uuid.UUID | None = None) -> None:
    """Revoke every live session of a user, except `keep` (after a password change or reset)."""
    statement = update(LoginSession).where(
        col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None)
    )
    if keep is not None:
        statement = statement.where(col(LoginSession.id) != keep)
    await session.exec(statement.values(revoked_at=utcnow()))
    # Every session of the user, `keep` included: it is re-read from the database once, harmlessly.
    access_cache.invalidate(session, user_id=user_id)


async def list_sessions(session: AsyncSession, *, principal: Principal) -> list[SessionPublic]:
    """The caller's live sessions, most recently seen first."""
    result = await session.exec(
        select(LoginSession)
        .where(
            LoginSession.user_id == principal.user.id,
            col(LoginSession.revoked_at).is_(None),
            LoginSession.expires_at > utcnow(),
        )
        .order_by(col(LoginSession.last_seen_at).desc())
    )
    return [
        SessionPublic(
            id=row.id,
            device=row.device,
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.id == principal.session_id,
        )
        for row in result.all()
    ]


async def revoke_session(session: AsyncSession, *, principal: Principal, session_id: uuid.UUID) -> None:
    """End one of the caller's sessions (the current one too, which is a log-out)."""
    if not await _revoke(session, user_id=principal.user.id, session_id=session_id):
        raise NotFound("No such session.")


async def revoke_other_sessions(session: AsyncSession, *, principal: Principal) -> None:
    """End every session of the caller but the current one."""
    await end_sessions(session, user_id=principal.user.id, keep=principal.session_id)
