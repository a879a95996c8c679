"""Accounts: sign-up, verification, profile, settings, appearance and password reset."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth import ratelimit
from teamsapp.auth import service as auth_service
from teamsapp.auth.service import Principal
from teamsapp.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from teamsapp.core.security import hash_password, password_too_long, verify_password
from teamsapp.mail import service as mail_service
from teamsapp.models import TokenPurpose, User
from teamsapp.models.base import utcnow
from teamsapp.observability.metrics import SIGNUPS
from teamsapp.personal_tokens import service as api_token_service
from teamsapp.users import addresses, one_time
from teamsapp.users.schemas import (
    PASSWORD_MIN,
    Appearance,
    AppearanceUpdate,
    UserCreate,
    UserProfile,
    UserPublic,
    UserSettingsUpdate,
)

# The UI pages the mailed links open (teamsapp/ui/routes.py; services may not import the UI).
VERIFY_PATH = "/verify"
RESET_PATH = "/reset-password"
EMAIL_CONFIRM_PATH = "/settings/email/confirm"
USERNAME_TAKEN = "That username is taken."
# Mailed tokens that a new password makes void: they may have been asked for with the old one.
_RECOVERY_RIVALS = (TokenPurpose.CHANGE_EMAIL, TokenPurpose.RESET_PASSWORD)


def to_public(user: User) -> UserPublic:
    """The user as its owner sees it."""
    return UserPublic(
        id=user.id,
        email=user.email,
        username=user.username,
        full_name=user.full_name,
        is_verified=user.is_verified,
        two_factor_enabled=user.two_factor_enabled,
        appearance=Appearance.model_validate({"theme": user.theme, "accent_color": user.accent_color}),
    )


def require_verified(user: User) -> None:
    """Refuse an action that needs a confirmed email address."""
    if not user.is_verified:
        raise PermissionDenied("Confirm your email address first.")


def require_superuser(user: User) -> None:
    """Refuse an action reserved to superusers."""
    if not user.is_superuser:
        raise PermissionDenied("Only a superuser may do this.")


def check_new_password(password: str, *, field: str) -> None:
    """The password rules, for callers that did not come through the schemas."""
    if password_too_long(password):
        raise Invalid("The password is longer than 72 bytes.", field=field)
    if len(password) < PASSWORD_MIN:
        raise Invalid(f"The password needs at least {PASSWORD_MIN} characters.", field=field)


async def _username_taken(session: AsyncSession, *, username: str) -> bool:
    return (await session.exec(select(User.id).where(User.username == username))).first() is not None


async def _insert(session: AsyncSession, user: User) -> bool:
    """Add a user; False if a concurrent sign-up took the email or username first."""
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        session.expunge(user)
        return False
    return True


async def _mail_link(
    session: AsyncSession,
    user: User,
    *,
    purpose: TokenPurpose,
    template: str,
    path: str,
    to: str | None = None,
    **context: str,
) -> None:
    """Issue a one-time token bound to `to` (the account's address by default) and mail its link there."""
    address = to or user.email
    token = await one_time.issue(session, user_id=user.id, purpose=purpose, email=address)
    link = mail_service.build_link(path, token)
    await mail_service.queue_mail(
        session, to=address, template=template, context={"name": user.full_name, "link": link, **context}
    )


async def _queue_verification(session: AsyncSession, user: User) -> None:
    await _mail_link(
        session, user, purpose=TokenPurpose.VERIFY_EMAIL, template="verify_email", path=VERIFY_PATH
    )


async def _new_user(data: UserCreate) -> User:
    """An unsaved, unverified user with the password hashed."""
    return User(
        email=data.email,
        username=data.username,
        full_name=data.full_name,
        password_hash=await hash_password(data.password),
    )


def _address_bucket(email: str) -> str:
    # Verification mails are counted per address, never per account: the count must not depend on
    # which accounts name the address.
    return f"address:{email}"


async def sign_up(session: AsyncSession, *, data: UserCreate) -> User:
    """Create an unverified account and mail a verification link to its address.

    Whether the address already has an account is never checked, so neither the answer, the new
    account nor any later route can tell: the address belongs to whichever account confirms it
    through the mailbox (`teamsapp/users/addresses.py`). Usernames are public: a taken one is a 409.
    Mails to one address are rate limited, however many sign-ups name it.
    """
    check_new_password(data.password, field="password")
    if await _username_taken(session, username=data.username):
        raise Conflict(USERNAME_TAKEN, field="username")
    await ratelimit.hit_mail(account=_address_bucket(data.email))
    user = await _new_user(data)
    if not await _insert(session, user):
        raise Conflict(USERNAME_TAKEN, field="username")
    SIGNUPS.inc()
    await _queue_verification(session, user)
    return user


async def create_superuser(session: AsyncSession, *, data: UserCreate) -> User:
    """Create a verified superuser (the management command; taken names are plain errors here)."""
    check_new_password(data.password, field="password")
    if await addresses.owner_of(session, email=data.email):
        raise Conflict("That email address already has an account.", field="email")
    if await _username_taken(session, username=data.username):
        raise Conflict(USERNAME_TAKEN, field="username")
    user = await _new_user(data)
    if not await _insert(session, user):
        raise Conflict(USERNAME_TAKEN, field="username")
    user.is_superuser = True
    await addresses.confirm(session, user=user, email=data.email, field="email")
    return user


async def get_profile(session: AsyncSession, *, actor: User, user_id: uuid.UUID) -> UserProfile:
    """Another user's public profile (any logged-in user may see it)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return UserProfile.model_validate(user)


async def update_settings(session: AsyncSession, *, principal: Principal, data: UserSettingsUpdate) -> User:
    """Change the profile; a new email or password needs the current password.

    A new password ends every other session. A new email is only mailed a confirmation link: the
    address changes when it is confirmed. A new email that already has an account answers the same
    way but mails nothing, so the answer does not reveal the account.
    """
    user = principal.user
    changes_email = data.email is not None and data.email != user.email
    if changes_email or data.new_password is not None:
        if data.current_password is None:
            raise Invalid(
                "Enter your current password to change your email or password.", field="current_password"
            )
        await auth_service.check_current_password(user, password=data.current_password)
    new_username = data.username if data.username is not None and data.username != user.username else None
    if new_username is not None and await _username_taken(session, username=new_username):
        raise Conflict(USERNAME_TAKEN, field="username")
    if data.full_name is not None:
        user.full_name = data.full_name
    now = utcnow()
    if data.new_password is not None:
        check_new_password(data.new_password, field="new_password")
        user.password_hash = await hash_password(data.new_password)
        user.password_changed_at = now
        await auth_service.end_sessions(session, user_id=user.id, keep=principal.session_id)
        # Whoever knew the old password may have started an email change or a reset: they end here.
        await one_time.discard(session, user_id=user.id, purposes=_RECOVERY_RIVALS)
    if changes_email and data.email is not None:
        await _start_email_change(session, user=user, new_email=data.email)
    user.updated_at = now
    try:
        async with session.begin_nested():
            if new_username is not None:
                user.username = new_username
            session.add(user)
    except IntegrityError:
        raise Conflict(USERNAME_TAKEN, field="username") from None
    return user


async def _start_email_change(session: AsyncSession, *, user: User, new_email: str) -> None:
    await ratelimit.hit_mail(account=str(user.id))
    if await addresses.owner_of(session, email=new_email):
        return
    await one_time.discard(session, user_id=user.id, purposes=[TokenPurpose.CHANGE_EMAIL])
    await _mail_link(
        session,
        user,
        purpose=TokenPurpose.CHANGE_EMAIL,
        template="change_email",
        path=EMAIL_CONFIRM_PATH,
        to=new_email,
        new_email=new_email,
    )


async def confirm_email_change(session: AsyncSession, *, token: str) -> User:
    """Switch to the new address once its owner follows the mailed link (this also verifies it)."""
    used = await one_time.consume(session, token=token, purpose=TokenPurpose.CHANGE_EMAIL)
    user = await session.get(User, used.user_id)
    if user is None or used.email is None:
        raise Invalid(one_time.BAD_TOKEN, field="token")
    old_email = user.email
    await addresses.confirm(session, user=user, email=used.email, field="email")
    # Links mailed to the old address (a reset, a verification) must not outlive the move.
    await one_time.discard(session, user_id=user.id)
    await mail_service.queue_mail(
        session,
        to=old_email,
        template="email_changed",
        context={"name": user.full_name, "old_email": old_email, "new_email": used.email},
    )
    return user


async def update_appearance(session: AsyncSession, *, actor: User, data: AppearanceUpdate) -> User:
    """Change the theme and accent colour (applied on every device the user logs in from)."""
    if data.theme is not None:
        actor.theme = data.theme
    if data.accent_color is not None:
        actor.accent_color = data.accent_color
    actor.updated_at = utcnow()
    session.add(actor)
    await session.flush()
    return actor


async def send_verification(session: AsyncSession, *, email: str) -> None:
    """Mail a new verification link for the newest unconfirmed account naming the address, if any
    and if no account confirmed it (the answer never says)."""
    await ratelimit.hit_mail(account=_address_bucket(email))
    user = await addresses.account_for_mail(session, email=email)
    if user is not None and not user.is_verified:
        await _queue_verification(session, user)


async def send_own_verification(session: AsyncSession, *, actor: User) -> None:
    """Mail the logged-in user a new verification link for their own account (not the newest one
    naming the address, which may be someone else's)."""
    await ratelimit.hit_mail(account=_address_bucket(actor.email))
    if not actor.is_verified:
        await _queue_verification(session, actor)


async def verify_email(session: AsyncSession, *, token: str, password: str) -> User:
    """Confirm the address with the mailed token; whoever follows it sets the account's password.

    The mailbox owner always ends in control (SPEC 4): typing the account's password only confirms
    the address; typing another one replaces it, ends every session and cancels the other mailed
    links, so an account someone else opened with this address never keeps their password.
    """
    check_new_password(password, field="password")
    used = await one_time.consume(session, token=token, purpose=TokenPurpose.VERIFY_EMAIL)
    user = await session.get(User, used.user_id)
    if user is None or used.email != user.email:
        raise Invalid(one_time.BAD_TOKEN, field="token")
    if not await verify_password(password, user.password_hash):
        now = utcnow()
        user.password_hash = await hash_password(password)
        user.password_changed_at = now
        await one_time.discard(session, user_id=user.id)
        await auth_service.end_sessions(session, user_id=user.id)
    await addresses.confirm(session, user=user, email=user.email)
    return user


async def send_password_reset(session: AsyncSession, *, email: str) -> None:
    """Mail a password-reset link for the account the address belongs to (the answer never says)."""
    normalized = email.strip().lower()
    user = await addresses.account_for_mail(session, email=normalized)
    # Counted per account when there is one (email changes share the count), else per address.
    await ratelimit.hit_mail(account=str(user.id) if user else normalized)
    if user is None:
        return
    await _mail_link(
        session, user, purpose=TokenPurpose.RESET_PASSWORD, template="reset_password", path=RESET_PATH
    )


async def reset_password(session: AsyncSession, *, token: str, password: str) -> None:
    """Set a new password with the mailed token; every session and every other mailed link ends."""
    check_new_password(password, field="password")
    used = await one_time.consume(session, token=token, purpose=TokenPurpose.RESET_PASSWORD)
    user = await session.get(User, used.user_id)
    if user is None:
        raise Invalid(one_time.BAD_TOKEN, field="token")
    now = utcnow()
    user.password_hash = await hash_password(password)
    user.password_changed_at = now
    user.updated_at = now
    session.add(user)
    if used.email == user.email:
        await addresses.confirm(session, user=user, email=user.email)
    # Recovery wins: whatever someone else started with the old password (an email change, another
    # link) ends with every session.
    await one_time.discard(session, user_id=user.id)
    await auth_service.end_sessions(session, user_id=user.id)
    await api_token_service.revoke_all_tokens(session, user_id=user.id)
