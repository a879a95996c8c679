"""The data the figures read: users, a user in 100 teams, a team of 50 members, log-in accounts.

Rows are made through the services (sign-up, create team, invite and accept), as the app makes
them. Two shortcuts, both plain row updates: the accounts are marked verified (their mailed tokens
are never read), and every account gets one password hash made at the app's bcrypt cost, so that
sign-up can hash at a low cost and seeding takes seconds while log-ins still cost what they cost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import bcrypt
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.models import MailStatus, OutboxMail, Role, User

PASSWORD = "correct horse battery staple"
TEAMS_OF_ME = 100
MEMBERS_OF_BIG_TEAM = 50
LOGIN_ACCOUNTS = 32


@dataclass
class Seeded:
    """Who is who in the seeded data."""

    me: str = "bench_me"
    creator: str = "bench_creator"
    inviter: str = "bench_inviter"
    members: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    big_team_id: str = ""
    invite_team_id: str = ""
    teams_of_me: int = 0
    members_of_big_team: int = 0
    how: list[str] = field(default_factory=list)

    @property
    def login_template(self) -> str:
        """The wrk body template spreading log-ins over the accounts (`{u}` is the account index)."""
        return '{"login": "bench_login_{u}", "password": "' + PASSWORD + '"}'


async def seed(*, bcrypt_rounds: int) -> Seeded:
    """Create every seeded row and commit it."""
    from teamsapp.core.db import dispose_engine

    seeded = Seeded(
        members=[f"bench_member_{index}" for index in range(MEMBERS_OF_BIG_TEAM - 1)],
        logins=[f"bench_login_{index}" for index in range(LOGIN_ACCOUNTS)],
    )
    try:
        users = await _sign_up([seeded.me, seeded.creator, seeded.inviter, *seeded.members, *seeded.logins])
        await _verify_and_set_password(list(users.values()), bcrypt_rounds=bcrypt_rounds)
        seeded.how.append(f"{len(users)} users signed up (users.service.sign_up), then verified")
        teams = await _create_teams(users[seeded.me], TEAMS_OF_ME)
        seeded.big_team_id = str(teams[0])
        seeded.teams_of_me = len(teams)
        seeded.invite_team_id = str((await _create_teams(users[seeded.inviter], 1))[0])
        seeded.how.append(f"{len(teams) + 1} teams created (teams.service.create_team)")
        await _join(users[seeded.me], teams[0], [users[name] for name in seeded.members])
        seeded.members_of_big_team = 1 + len(seeded.members)
        seeded.how.append(
            f"{len(seeded.members)} members joined by one invitation "
            "(invitations.service.create_invitation, accept_invitation)"
        )
    finally:
        await dispose_engine()
    return seeded


async def _sign_up(usernames: list[str]) -> dict[str, uuid.UUID]:
    from teamsapp.core.db import session_scope
    from teamsapp.users import service as user_service
    from teamsapp.users.schemas import UserCreate

    ids: dict[str, uuid.UUID] = {}
    async with session_scope() as session:
        for username in usernames:
            data = UserCreate(
                email=f"{username}@bench.example.com",
                username=username,
                full_name=username.replace("_", " ").title(),
                password=PASSWORD,
            )
            user = await user_service.sign_up(session, data=data)
            ids[username] = user.id
    return ids


async def _verify_and_set_password(user_ids: list[uuid.UUID], *, bcrypt_rounds: int) -> None:
    from teamsapp.core.db import session_scope

    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(bcrypt_rounds)).decode()
    async with session_scope() as session:
        await session.execute(
            update(User)
            .where(col(User.id).in_(user_ids))
            .values(is_verified=True, password_hash=password_hash)
        )
        # The verification mails are for nobody: keep the sender from logging 84 of them.
        await session.execute(update(OutboxMail).values(status=MailStatus.SENT))


async def _load_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    assert user is not None
    return user


async def _create_teams(owner_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    from teamsapp.core.db import session_scope
    from teamsapp.teams import service as team_service
    from teamsapp.teams.schemas import TeamCreate

    ids: list[uuid.UUID] = []
    async with session_scope() as session:
        owner = await _load_user(session, owner_id)
        for index in range(count):
            data = TeamCreate(name=f"Bench team {index}", description="seeded by the bench")
            team = await team_service.create_team(session, actor=owner, data=data)
            ids.append(team.id)
    return ids


async def _join(owner_id: uuid.UUID, team_id: uuid.UUID, member_ids: list[uuid.UUID]) -> None:
    from teamsapp.core.db import session_scope
    from teamsapp.invitations import service as invitation_service
    from teamsapp.invitations.schemas import InvitationCreate

    async with session_scope() as session:
        owner = await _load_user(session, owner_id)
        data = InvitationCreate(team_id=team_id, role=Role.MEMBER, max_uses=len(member_ids))
        created = await invitation_service.create_invitation(session, actor=owner, data=data)
    token = parse_qs(urlsplit(created.link).query)["token"][0]
    for member_id in member_ids:
        async with session_scope() as session:
            member = await _load_user(session, member_id)
            await invitation_service.accept_invitation(session, actor=member, token=token)
