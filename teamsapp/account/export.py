"""The export of everything the app holds about a user (SPEC 13), as a list of sections.

Each section names the tables whose rows about the user it exports; a test checks that every table
with a foreign key to `user` is covered by one, so a new table cannot be forgotten. Adding a section
is one line in `SECTIONS`. No section exports a hash or a secret, nor anything about other people
beyond what the user can already see (the names and roles of their team-mates).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.models import (
    AdminAuditEvent,
    ApiToken,
    AuditEvent,
    Invitation,
    LoginSession,
    Membership,
    OneTimeToken,
    OutboxMail,
    RecoveryCode,
    Team,
    TwoFactor,
    User,
)
from teamsapp.models.base import utcnow

EXPORT_VERSION = 1

Builder = Callable[[AsyncSession, User], Awaitable[Any]]


@dataclasses.dataclass(frozen=True)
class Section:
    """One part of the export: its key, the tables it covers, and how it is read."""

    name: str
    tables: tuple[str, ...]
    build: Builder


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


async def _profile(session: AsyncSession, user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "username": user.username,
        "full_name": user.full_name,
        "is_verified": user.is_verified,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "created_at": _iso(user.created_at),
        "updated_at": _iso(user.updated_at),
        "password_changed_at": _iso(user.password_changed_at),
    }


async def _appearance(session: AsyncSession, user: User) -> dict[str, Any]:
    return {"theme": user.theme, "accent_color": user.accent_color}


async def _sessions(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(LoginSession).where(LoginSession.user_id == user.id).order_by(col(LoginSession.created_at))
    )
    return [
        {
            "id": str(row.id),
            "device": row.device,
            "ip": row.ip,
            "created_at": _iso(row.created_at),
            "last_seen_at": _iso(row.last_seen_at),
            "expires_at": _iso(row.expires_at),
            "revoked_at": _iso(row.revoked_at),
        }
        for row in rows.all()
    ]


async def _mailed_links(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(OneTimeToken).where(OneTimeToken.user_id == user.id).order_by(col(OneTimeToken.created_at))
    )
    return [
        {
            "purpose": row.purpose,
            "new_email": row.new_email,
            "created_at": _iso(row.created_at),
            "expires_at": _iso(row.expires_at),
            "used_at": _iso(row.used_at),
        }
        for row in rows.all()
    ]


async def _memberships(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    mine = await session.exec(
        select(Membership, Team)
        .join(Team, col(Team.id) == Membership.team_id)
        .where(Membership.user_id == user.id)
        .order_by(col(Team.name))
    )
    teams = list(mine.all())
    team_ids = [team.id for _, team in teams]
    members: dict[Any, list[dict[str, str]]] = {team_id: [] for team_id in team_ids}
    if team_ids:
        rows = await session.exec(
            select(Membership.team_id, Membership.role, User.username, User.full_name)
            .join(User, col(User.id) == Membership.user_id)
            .where(col(Membership.team_id).in_(team_ids))
            .order_by(col(User.username))
        )
        for team_id, role, username, full_name in rows.all():
            members[team_id].append({"username": username, "full_name": full_name, "role": role})
    return [
        {
            "team": {"id": str(team.id), "name": team.name, "description": team.description},
            "role": membership.role,
            "joined_at": _iso(membership.created_at),
            "members": members[team.id],
        }
        for membership, team in teams
    ]


async def _invitations(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(Invitation, Team.name)
        .join(Team, col(Team.id) == Invitation.team_id)
        .where(Invitation.created_by_id == user.id)
        .order_by(col(Invitation.created_at))
    )
    return [
        {
            "id": str(invitation.id),
            "team_id": str(invitation.team_id),
            "team_name": team_name,
            "role": invitation.role,
            "email": invitation.email,
            "uses": invitation.uses,
            "max_uses": invitation.max_uses,
            "disabled": invitation.disabled,
            "expires_at": _iso(invitation.expires_at),
            "created_at": _iso(invitation.created_at),
        }
        for invitation, team_name in rows.all()
    ]


async def _team_audit(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(col(AuditEvent.created_at))
    )
    return [
        {
            "id": str(event.id),
            "team_id": str(event.team_id),
            "action": event.action,
            "subject_id": str(event.subject_id) if event.subject_id else None,
            "details": event.details,
            "created_at": _iso(event.created_at),
        }
        for event in rows.all()
    ]


async def _admin_audit(session: AsyncSession, user: User) -> dict[str, list[dict[str, Any]]]:
    # What the user did as a superuser, and what superusers did to the user's account (without
    # naming the superuser: that is about another person).
    rows = await session.exec(
        select(AdminAuditEvent)
        .where(or_(col(AdminAuditEvent.actor_id) == user.id, col(AdminAuditEvent.target_id) == user.id))
        .order_by(col(AdminAuditEvent.created_at))
    )
    done: list[dict[str, Any]] = []
    received: list[dict[str, Any]] = []
    for event in rows.all():
        entry = {"action": event.action, "details": event.details, "created_at": _iso(event.created_at)}
        if event.actor_id == user.id:
            done.append({**entry, "target_id": str(event.target_id) if event.target_id else None})
        if event.target_id == user.id:
            received.append(entry)
    return {"done": done, "received": received}


async def _mails(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    # Mails to the account's address since it was created; the bodies stay out (their links carry
    # single-use tokens).
    rows = await session.exec(
        select(OutboxMail)
        .where(OutboxMail.to_address == user.email, OutboxMail.created_at >= user.created_at)
        .order_by(col(OutboxMail.created_at))
    )
    return [
        {
            "kind": mail.kind,
            "subject": mail.subject,
            "status": mail.status,
            "created_at": _iso(mail.created_at),
            "sent_at": _iso(mail.sent_at),
        }
        for mail in rows.all()
    ]


async def _api_tokens(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.created_at))
    )
    return [
        {
            "id": str(row.id),
            "name": row.name,
            "scopes": row.scopes.split(),
            "prefix": row.prefix,
            "created_at": _iso(row.created_at),
            "expires_at": _iso(row.expires_at),
            "last_used_at": _iso(row.last_used_at),
        }
        for row in rows.all()
    ]


async def _two_factor(session: AsyncSession, user: User) -> dict[str, Any]:
    # Whether it is on and how many recovery codes are left: never the secret or the codes.
    row = await session.get(TwoFactor, user.id)
    codes = await session.exec(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))
    )
    return {
        "enabled": user.two_factor_enabled,
        "enabled_at": _iso(row.enabled_at if row else None),
        "recovery_codes_left": len(codes.all()),
    }


SECTIONS: tuple[Section, ...] = (
    Section("profile", ("user",), _profile),
    Section("appearance", ("user",), _appearance),
    Section("sessions", ("login_session",), _sessions),
    Section("api_tokens", ("api_token",), _api_tokens),
    Section("two_factor", ("two_factor", "recovery_code"), _two_factor),
    Section("mailed_links", ("one_time_token",), _mailed_links),
    Section("memberships", ("membership",), _memberships),
    Section("invitations", ("invitation",), _invitations),
    Section("team_audit_events", ("audit_event",), _team_audit),
    Section("admin_audit_events", ("admin_audit_event",), _admin_audit),
    Section("mails", ("outbox_mail",), _mails),
)


def filename(username: str) -> str:
    """The file name the export is saved under."""
    return f"teamsapp-export-{username}.json"


def covered_tables() -> set[str]:
    """Every table some section exports from."""
    return {table for section in SECTIONS for table in section.tables}


async def export_account(session: AsyncSession, *, user: User) -> dict[str, Any]:
    """The whole export of the user's data, one key per section (the caller's own data only)."""
    document: dict[str, Any] = {"export_version": EXPORT_VERSION, "exported_at": _iso(utcnow())}
    for section in SECTIONS:
        document[section.name] = await section.build(session, user)
    return document
