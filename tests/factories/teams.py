"""Teams made straight in the database, with their owner and any other members."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable, Mapping

from teamsapp.core.db import session_scope
from teamsapp.core.security import new_token, token_hash
from teamsapp.models import Invitation, Membership, Role, Team, User
from teamsapp.models.base import utcnow

# User rows are not hashable (SQLModel tables), so members come as (user, role) pairs or as a
# mapping keyed by user id.
Members = Iterable[tuple[User, Role]] | Mapping[uuid.UUID, Role]


def _pairs(members: Members | None) -> list[tuple[uuid.UUID, Role]]:
    if members is None:
        return []
    if isinstance(members, Mapping):
        return [(user_id, Role(role)) for user_id, role in members.items()]
    return [(user.id, Role(role)) for user, role in members]


async def make_team(
    owner: User, *, members: Members | None = None, name: str | None = None, description: str = ""
) -> Team:
    """Insert and commit a team owned by `owner`, with `members` as `[(user, role), ...]`."""
    team = Team(name=name or f"Team {secrets.token_hex(3)}", description=description)
    async with session_scope() as session:
        session.add(team)
        await session.flush()
        session.add(Membership(team_id=team.id, user_id=owner.id, role=Role.OWNER))
        for user_id, role in _pairs(members):
            session.add(Membership(team_id=team.id, user_id=user_id, role=role))
    return team


async def make_invitation(
    team: Team,
    *,
    created_by: User | None = None,
    role: Role = Role.MEMBER,
    email: str | None = None,
    max_uses: int | None = None,
    expires_at: dt.datetime | None = None,
    disabled: bool = False,
    uses: int = 0,
) -> tuple[Invitation, str]:
    """Insert and commit an invitation in any state; returns it with its token."""
    token = new_token()
    invitation = Invitation(
        team_id=team.id,
        created_by_id=created_by.id if created_by else None,
        token_hash=token_hash(token),
        role=role,
        email=email,
        max_uses=max_uses,
        uses=uses,
        disabled=disabled,
        expires_at=expires_at or utcnow() + dt.timedelta(hours=72),
    )
    async with session_scope() as session:
        session.add(invitation)
    return invitation, token
