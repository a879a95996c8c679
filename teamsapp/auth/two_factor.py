"""Two-factor authentication (SPEC 11): enrolment, codes, recovery codes and the second log-in step.

TOTP per RFC 6238 through pyotp (SHA-1, 6 digits, 30 s, one step of drift either way). The secret is
stored encrypted (`teamsapp.core.crypto`), recovery codes as keyed hashes. Every code check locks the
user's `two_factor` row, so two requests with one code are checked one after the other and the
second finds the code's time step already used; it also keeps the rate-limit check and count of one
account's code attempts in order.
"""

from __future__ import annotations

import base64
import io
import logging
import secrets
import time
import uuid

import pyotp
import segno
from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import mfa, ratelimit
from teamsapp.auth import service as auth_service
from teamsapp.auth.schemas import RecoveryCodes, TwoFactorSetup
from teamsapp.auth.service import Principal
from teamsapp.core.crypto import DecryptionFailed, decrypt_secret, encrypt_secret
from teamsapp.core.errors import Conflict, Invalid, RateLimited, Unauthorized
from teamsapp.core.security import token_hash
from teamsapp.models import RecoveryCode, TwoFactor, User
from teamsapp.models.base import utcnow
from teamsapp.observability.metrics import LOGINS, TOKENS_USED
from teamsapp.users.schemas import TokenPair

logger = logging.getLogger(__name__)

ISSUER = "teamsapp"
DRIFT_STEPS = 1
TOTP_DIGITS = 6
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
# No 0/o, 1/l/i: a code read off paper is typed right.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
WRONG_CODE = "That code is not right, or it was already used."
NOT_ON = "Two-factor authentication is not on for this account."
ALREADY_ON = "Two-factor authentication is already on; turn it off first to set up another app."
STEP_ENDED = "This log-in step has expired or was already used; log in again with your password."


def _now() -> float:
    """The clock codes are checked against (a seam for the tests of drift)."""
    return time.time()


def qr_svg(uri: str) -> str:
    """The URI as a QR code, a standalone SVG document (with its namespace, so an `<img>` shows it)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        nl=False,
        scale=5,
        border=2,
        title="QR code for your authenticator app",
    )
    return out.getvalue().decode()


def qr_data_uri(svg: str) -> str:
    """An SVG as a `data:` URI, for an `<img>`."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _normalize_recovery_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_hash(code: str) -> str:
    # A purpose prefix keeps these hashes apart from those of mailed and refresh tokens.
    return token_hash(f"recovery-code:{_normalize_recovery_code(code)}")


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


async def _lock_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    # FOR NO KEY UPDATE: serialises the enrolment changes of one user without blocking the rows that
    # only reference the user (a log-in session being opened).
    result = await session.exec(
        select(User)
        .where(col(User.id) == user_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return result.one()


async def _row(session: AsyncSession, user_id: uuid.UUID) -> TwoFactor | None:
    result = await session.exec(
        select(TwoFactor)
        .where(col(TwoFactor.user_id) == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.first()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code `code` is, within the allowed drift, or None."""
    digits = "".join(code.split())
    if len(digits) != TOTP_DIGITS or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = _now()
    current = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.at(now, counter_offset=offset), digits):
            return int(current + offset)
    return None


def _accept_totp(row: TwoFactor, code: str) -> bool:
    """Accept a TOTP code once: its step must be later than the last accepted one (the row is locked)."""
    try:
        secret = decrypt_secret(row.secret_encrypted)
    except DecryptionFailed:
        # A changed BACKEND_SECRET_KEY: no code of the old secret can be checked; the recovery codes
        # (keyed by the same key) fail too, so the account needs its 2FA reset by an administrator.
        logger.error(
            "the two-factor secret of user %s cannot be decrypted with BACKEND_SECRET_KEY", row.user_id
        )
        return False
    step = _matching_step(secret, code)
    if step is None or (row.last_used_step is not None and step <= row.last_used_step):
        return False
    row.last_used_step = step
    return True


async def _use_recovery_code(session: AsyncSession, *, user_id: uuid.UUID, code: str) -> bool:
    if len(_normalize_recovery_code(code)) != RECOVERY_CODE_LENGTH:
        return False
    result = await session.exec(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user_id,
            col(RecoveryCode.code_hash) == _recovery_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utcnow())
        .returning(col(RecoveryCode.id))
    )
    if result.first() is None:
        return False
    TOKENS_USED.labels("recovery_code").inc()
    return True


async def _new_recovery_codes(session: AsyncSession, *, user_id: uuid.UUID) -> RecoveryCodes:
    """A new set of recovery codes; the old set stops working."""
    await session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(code)) for code in codes)
    await session.flush()
    return RecoveryCodes(recovery_codes=codes)


async def verify_code(session: AsyncSession, *, user: User, code: str, ip: str | None = None) -> None:
    """Accept a TOTP or recovery code of a user with two-factor authentication on, using it up.

    A wrong code is a 422 naming `code` and counts as a failed log-in of the account (and of `ip`,
    when given); past the limit it is a 429. For any action that must ask for a second factor.
    """
    row = await _row(session, user.id)
    if row is None or row.enabled_at is None:
        raise Conflict(NOT_ON)
    account = str(user.id)
    # Counted before the code is checked (as a password is), so parallel guesses cannot outrun the limit.
    await ratelimit.attempt_login(account=account, ip=ip)
    if _accept_totp(row, code) or await _use_recovery_code(session, user_id=user.id, code=code):
        session.add(row)
        await ratelimit.forgive_login_attempt(account=account, ip=ip)
        return
    raise Invalid(WRONG_CODE, field="code")


async def require_second_factor(session: AsyncSession, *, user: User, code: str | None) -> None:
    """Ask a sensitive action for a code when the user has two-factor authentication on (else pass).

    A missing code is a 422 naming `code`; otherwise as `verify_code`.
    """
    if not user.two_factor_enabled:
        return
    if not code:
        raise Invalid("Enter a code from your authenticator app, or a recovery code.", field="code")
    await verify_code(session, user=user, code=code)


async def start_setup(
    session: AsyncSession, *, principal: Principal, current_password: str
) -> TwoFactorSetup:
    """A new secret for an authenticator app; it becomes active only once `enable` gets a code of it."""
    await auth_service.check_current_password(principal.user, password=current_password)
    user = await _lock_user(session, principal.user.id)
    if user.two_factor_enabled:
        raise Conflict(ALREADY_ON)
    secret = pyotp.random_base32()
    row = await _row(session, user.id) or TwoFactor(user_id=user.id, secret_encrypted="")
    row.secret_encrypted = encrypt_secret(secret)
    row.last_used_step = None
    row.enabled_at = None
    row.created_at = utcnow()
    session.add(row)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


async def enable(session: AsyncSession, *, principal: Principal, code: str) -> RecoveryCodes:
    """Turn two-factor authentication on with a first code of the new secret; every other session ends."""
    user = await _lock_user(session, principal.user.id)
    if user.two_factor_enabled:
        raise Conflict(ALREADY_ON)
    row = await _row(session, user.id)
    if row is None:
        raise Conflict("Start the set-up first: it gives the secret to add to your authenticator app.")
    account = str(user.id)
    await ratelimit.attempt_login(account=account, ip=None)
    if not _accept_totp(row, code):
        raise Invalid("That code is not right; type the code your app shows now.", field="code")
    await ratelimit.forgive_login_attempt(account=account, ip=None)
    now = utcnow()
    row.enabled_at = now
    user.two_factor_enabled = True
    user.updated_at = now
    session.add_all([row, user])
    await auth_service.end_sessions(session, user_id=user.id, keep=principal.session_id)
    return await _new_recovery_codes(session, user_id=user.id)


async def _confirmed(
    session: AsyncSession, *, principal: Principal, current_password: str, code: str
) -> User:
    """The caller, locked, once their password and a second factor are confirmed."""
    await auth_service.check_current_password(principal.user, password=current_password)
    user = await _lock_user(session, principal.user.id)
    if not user.two_factor_enabled:
        raise Conflict(NOT_ON)
    await verify_code(session, user=user, code=code)
    return user


async def disable(session: AsyncSession, *, principal: Principal, current_password: str, code: str) -> None:
    """Turn two-factor authentication off (password and a code); the secret, the codes and every
    other session end."""
    user = await _confirmed(session, principal=principal, current_password=current_password, code=code)
    await session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    await session.exec(delete(TwoFactor).where(col(TwoFactor.user_id) == user.id))
    user.two_factor_enabled = False
    user.updated_at = utcnow()
    session.add(user)
    await auth_service.end_sessions(session, user_id=user.id, keep=principal.session_id)


async def regenerate_recovery_codes(
    session: AsyncSession, *, principal: Principal, current_password: str, code: str
) -> RecoveryCodes:
    """A new set of recovery codes (password and a code); the old set stops working."""
    user = await _confirmed(session, principal=principal, current_password=current_password, code=code)
    return await _new_recovery_codes(session, user_id=user.id)


async def complete_login(
    session: AsyncSession, *, mfa_token: str, code: str, device: str, ip: str
) -> TokenPair:
    """The second log-in step: a code for the user the `mfa_token` names opens a session (once)."""
    pending = await mfa.peek(mfa_token)
    user = await session.get(User, pending.user_id) if pending else None
    if (
        pending is None
        or user is None
        or not user.two_factor_enabled
        or not user.is_active
        or user.password_changed_at.timestamp() != pending.password_changed_at
    ):
        raise Unauthorized(STEP_ENDED)
    try:
        await verify_code(session, user=user, code=code, ip=ip)
    except Invalid as error:
        LOGINS.labels("failure").inc()
        raise Unauthorized(error.detail, field="code") from None
    except RateLimited:
        LOGINS.labels("rate_limited").inc()
        raise
    # Checked after the code, under the row lock: of two requests racing with one token, one wins.
    if not await mfa.consume(mfa_token):
        raise Unauthorized(STEP_ENDED)
    await ratelimit.clear_login_failures(account=str(user.id), ip=ip)
    LOGINS.labels("success").inc()
    TOKENS_USED.labels("mfa").inc()
    return await auth_service.open_session(session, user=user, device=device, ip=ip)
