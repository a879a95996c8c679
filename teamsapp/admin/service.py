"""Administration (SPEC 14): every rule about what superusers may do to accounts lives here.

Each change locks the acting superuser's row and the target's row (in id order, so two changes never
deadlock) and checks the actor's rights again under the lock: two superusers demoting each other at
once leave one of them a superuser, and a superuser demoted a moment ago cannot act any more.
Every change is written to the admin audit log in the same transaction.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.account.service import two_factor_enabled
from teamsapp.admin.schemas import (
    PAGE_MAX,
    AdminAuditEventPublic,
    AdminAuditPage,
    AdminUser,
    AdminUserPage,
    AdminUserUpdate,
)
from teamsapp.auth import cache as access_cache
from teamsapp.core.errors import Conflict, NotFound, PermissionDenied
from teamsapp.core.events import AccountChanged, emit
from teamsapp.models import AdminAuditEvent, LoginSession, User
from teamsapp.models.base import utcnow
from teamsapp.personal_tokens import service as api_token_service
from teamsapp.users import service as user_service

USER_NOT_FOUND = "No such user."
SELF_DEACTIVATE = "You cannot deactivate your own account: ask another superuser."
SELF_DEMOTE = "You cannot remove your own superuser rights: ask another superuser."


class AdminAction(enum.StrEnum):
    ACTIVATED = "user.activated"
    DEACTIVATED = "user.deactivated"
    VERIFIED = "user.verified"
    UNVERIFIED = "user.unverified"
    SUPERUSER_GRANTED = "user.superuser_granted"
    SUPERUSER_REVOKED = "user.superuser_revoked"
    SESSIONS_ENDED = "user.sessions_ended"


# (field, action when set to True, action when set to False), in the order they are applied.
_FLAGS = (
    ("is_active", AdminAction.ACTIVATED, AdminAction.DEACTIVATED),
    ("is_verified", AdminAction.VERIFIED, AdminAction.UNVERIFIED),
    ("is_superuser", AdminAction.SUPERUSER_GRANTED, AdminAction.SUPERUSER_REVOKED),
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _last_seen() -> Any:
    return (
        select(LoginSession.user_id, func.max(LoginSession.last_seen_at).label("last_seen_at"))
        .group_by(col(LoginSession.user_id))
        .subquery()
    )


def _admin_user(user: User, last_seen_at: Any) -> AdminUser:
    return AdminUser(
        id=user.id,
        email=user.email,
        username=user.username,
        full_name=user.full_name,
        is_verified=user.is_verified,
        is_active=user.is_active,
        is_superuser=user.is_superuser,
        created_at=user.created_at,
        last_seen_at=last_seen_at,
        two_factor_enabled=two_factor_enabled(user),
    )


async def list_users(
    session: AsyncSession, *, actor: User, q: str = "", limit: int = 20, offset: int = 0
) -> AdminUserPage:
    """A page of accounts, newest first; `q` matches email, username or full name (any case)."""
    user_service.require_superuser(actor)
    limit, offset = max(1, min(limit, PAGE_MAX)), max(0, offset)
    condition: Any = True
    needle = q.strip()
    if needle:
        pattern = f"%{_escape_like(needle.lower())}%"
        condition = or_(
            *(
                func.lower(column).like(pattern, escape="\\")
                for column in (User.email, User.username, User.full_name)
            )
        )
    total = (await session.exec(select(func.count()).select_from(User).where(condition))).one()
    seen = _last_seen()
    rows = await session.exec(
        select(User, seen.c.last_seen_at)
        .outerjoin(seen, seen.c.user_id == User.id)
        .where(condition)
        .order_by(col(User.created_at).desc(), col(User.id))
        .limit(limit)
        .offset(offset)
    )
    items = [_admin_user(user, last_seen_at) for user, last_seen_at in rows.all()]
    return AdminUserPage(items=items, total=total, limit=limit, offset=offset)


async def _get_user(session: AsyncSession, user_id: uuid.UUID) -> AdminUser:
    seen = _last_seen()
    row = (
        await session.exec(
            select(User, seen.c.last_seen_at)
            .outerjoin(seen, seen.c.user_id == User.id)
            .where(User.id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound(USER_NOT_FOUND)
    return _admin_user(row[0], row[1])


async def _lock_pair(session: AsyncSession, *, actor: User, user_id: uuid.UUID) -> User:
    """Lock the actor's and the target's rows, re-check the actor's rights, and return the target."""
    result = await session.exec(
        select(User)
        .where(col(User.id).in_({actor.id, user_id}))
        .order_by(col(User.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    locked = {user.id: user for user in result.all()}
    fresh_actor = locked.get(actor.id)
    if fresh_actor is None or not fresh_actor.is_active:
        raise PermissionDenied("Your account can no longer do this.")
    user_service.require_superuser(fresh_actor)
    target = locked.get(user_id)
    if target is None:
        raise NotFound(USER_NOT_FOUND)
    return target


def _record(
    session: AsyncSession, *, actor: User, target: User, action: AdminAction, details: dict[str, Any]
) -> None:
    session.add(
        AdminAuditEvent(
            actor_id=actor.id,
            actor_name=actor.username,
            target_id=target.id,
            target_name=target.username,
            action=action,
            details=details,
        )
    )


async def _end_sessions(session: AsyncSession, user_id: uuid.UUID) -> int:
    result = await session.exec(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
        .returning(col(LoginSession.id))
    )
    access_cache.invalidate(session, user_id=user_id)
    return len(result.all())


async def update_user(
    session: AsyncSession, *, actor: User, user_id: uuid.UUID, data: AdminUserUpdate
) -> AdminUser:
    """Activate or deactivate, verify or unverify, grant or revoke superuser; each change audited.

    Deactivating ends the user's sessions and revokes their API tokens at once. A superuser cannot
    deactivate or demote themselves.
    """
    user_service.require_superuser(actor)
    if user_id == actor.id and data.is_active is False:
        raise Conflict(SELF_DEACTIVATE, field="is_active")
    if user_id == actor.id and data.is_superuser is False:
        raise Conflict(SELF_DEMOTE, field="is_superuser")
    target = await _lock_pair(session, actor=actor, user_id=user_id)
    signed_out = False
    changed: list[AdminAction] = []
    for field, on, off in _FLAGS:
        wanted = getattr(data, field)
        current = getattr(target, field)
        if wanted is None or wanted == current:
            continue
        setattr(target, field, wanted)
        details: dict[str, Any] = {"changes": {field: {"from": current, "to": wanted}}}
        if field == "is_active" and not wanted:
            details["sessions_ended"] = await _end_sessions(session, target.id)
            await api_token_service.revoke_all_tokens(session, user_id=target.id)
            signed_out = True
        action = on if wanted else off
        changed.append(action)
        _record(session, actor=actor, target=target, action=action, details=details)
    if changed:
        target.updated_at = utcnow()
        session.add(target)
        await session.flush()
        emit(session, AccountChanged(user_id=target.id, kind=changed[-1], signed_out=signed_out))
    return await _get_user(session, target.id)


async def end_sessions(session: AsyncSession, *, actor: User, user_id: uuid.UUID) -> None:
    """End every session of the user at once (the user's open pages log out); audited."""
    user_service.require_superuser(actor)
    target = await _lock_pair(session, actor=actor, user_id=user_id)
    ended = await _end_sessions(session, target.id)
    _record(
        session,
        actor=actor,
        target=target,
        action=AdminAction.SESSIONS_ENDED,
        details={"sessions_ended": ended},
    )
    emit(session, AccountChanged(user_id=target.id, kind=AdminAction.SESSIONS_ENDED, signed_out=True))


async def list_audit(
    session: AsyncSession, *, actor: User, limit: int = 50, offset: int = 0
) -> AdminAuditPage:
    """A page of the admin audit log, newest first (superusers)."""
    user_service.require_superuser(actor)
    limit, offset = max(1, min(limit, PAGE_MAX)), max(0, offset)
    total = (await session.exec(select(func.count()).select_from(AdminAuditEvent))).one()
    rows = await session.exec(
        select(AdminAuditEvent)
        .order_by(col(AdminAuditEvent.created_at).desc(), col(AdminAuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        AdminAuditEventPublic(
            id=event.id,
            action=event.action,
            actor_id=event.actor_id,
            actor_username=event.actor_name,
            target_id=event.target_id,
            target_username=event.target_name,
            details=event.details,
            created_at=event.created_at,
        )
        for event in rows.all()
    ]
    return AdminAuditPage(items=items, total=total, limit=limit, offset=offset)
