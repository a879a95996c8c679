"""Invariants under concurrent changes, with real concurrent transactions on PostgreSQL.

Each case runs two service calls at once, each in its own `session_scope()` (its own connection),
with `asyncio.gather`, several rounds over. One case also forces the overlap: it holds the first
transaction open until PostgreSQL reports the second one waiting for the team's row lock.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from teamsapp.core.db import get_engine, session_scope
from teamsapp.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from teamsapp.invitations import service as invitation_service
from teamsapp.models import Role
from teamsapp.teams import service as team_service
from tests.factories.teams import make_invitation, make_team
from tests.factories.users import make_user
from tests.fixtures.teams import in_transaction, roles, snapshot

OWNER, ADMIN, MEMBER = Role.OWNER, Role.ADMIN, Role.MEMBER
ROUNDS = 5


async def _at_once(*calls: Any) -> list[Any]:
    """Run the calls concurrently, each in its own transaction; domain errors are returned, not raised."""
    results = await asyncio.gather(
        *(in_transaction(service, **kwargs) for service, kwargs in calls), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, DomainError):
            raise result
    return list(results)


WAITING_FOR_LOCKS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def _waiting_for_locks() -> int:
    async with get_engine().connect() as connection:
        return int((await connection.execute(WAITING_FOR_LOCKS)).scalar_one())


async def test_two_owners_demoting_each_other_at_once_leave_one_owner() -> None:
    for _ in range(ROUNDS):
        alice, bob = await make_user(), await make_user()
        team = await make_team(alice, members=[(bob, OWNER)])
        results = await _at_once(
            (
                team_service.change_role,
                {"actor": alice, "team_id": team.id, "user_id": bob.id, "role": ADMIN},
            ),
            (
                team_service.change_role,
                {"actor": bob, "team_id": team.id, "user_id": alice.id, "role": ADMIN},
            ),
        )
        assert sorted(type(r).__name__ for r in results) == ["PermissionDenied", "TeamPublic"]
        assert sorted((await roles(team.id)).values()) == [ADMIN, OWNER]


async def test_the_second_demotion_waits_for_the_first_and_sees_its_result() -> None:
    alice, bob = await make_user(), await make_user()
    team = await make_team(alice, members=[(bob, OWNER)])
    async with session_scope() as first:
        await team_service.change_role(first, actor=alice, team_id=team.id, user_id=bob.id, role=ADMIN)
        second = asyncio.create_task(
            in_transaction(team_service.change_role, actor=bob, team_id=team.id, user_id=alice.id, role=ADMIN)
        )
        async with asyncio.timeout(10):
            while await _waiting_for_locks() == 0:
                await asyncio.sleep(0.01)
        assert not second.done()
    with pytest.raises(PermissionDenied):
        await second
    assert await roles(team.id) == {alice.id: OWNER, bob.id: ADMIN}


async def test_two_owners_leaving_at_once_leave_one_owner() -> None:
    for _ in range(ROUNDS):
        alice, bob = await make_user(), await make_user()
        team = await make_team(alice, members=[(bob, OWNER)])
        results = await _at_once(
            (team_service.remove_member, {"actor": alice, "team_id": team.id, "user_id": alice.id}),
            (team_service.remove_member, {"actor": bob, "team_id": team.id, "user_id": bob.id}),
        )
        assert sum(isinstance(r, Conflict) for r in results) == 1
        assert list((await roles(team.id)).values()) == [OWNER]


async def test_two_owners_demoting_themselves_at_once_leave_one_owner() -> None:
    for _ in range(ROUNDS):
        alice, bob = await make_user(), await make_user()
        team = await make_team(alice, members=[(bob, OWNER)])
        results = await _at_once(
            (
                team_service.change_role,
                {"actor": alice, "team_id": team.id, "user_id": alice.id, "role": MEMBER},
            ),
            (team_service.change_role, {"actor": bob, "team_id": team.id, "user_id": bob.id, "role": MEMBER}),
        )
        assert sum(isinstance(r, Conflict) for r in results) == 1
        assert sorted((await roles(team.id)).values()) == [MEMBER, OWNER]


async def test_two_accepts_of_a_one_use_invitation_give_one_membership() -> None:
    for _ in range(ROUNDS):
        owner, first, second = await make_user(), await make_user(), await make_user()
        team = await make_team(owner)
        _, token = await make_invitation(team, created_by=owner, max_uses=1)
        results = await _at_once(
            (invitation_service.accept_invitation, {"actor": first, "token": token}),
            (invitation_service.accept_invitation, {"actor": second, "token": token}),
        )
        [refusal] = [r for r in results if isinstance(r, DomainError)]
        assert isinstance(refusal, Conflict)
        assert "used as often as it allows" in refusal.detail
        assert len(await roles(team.id)) == 2
        [stored] = (await snapshot(team.id))["invitations"]
        assert stored["uses"] == 1


async def test_one_user_accepting_twice_at_once_joins_once() -> None:
    for _ in range(ROUNDS):
        owner, joiner = await make_user(), await make_user()
        team = await make_team(owner)
        _, token = await make_invitation(team, created_by=owner, max_uses=10)
        results = await _at_once(
            (invitation_service.accept_invitation, {"actor": joiner, "token": token}),
            (invitation_service.accept_invitation, {"actor": joiner, "token": token}),
        )
        [refusal] = [r for r in results if isinstance(r, DomainError)]
        assert refusal.detail == invitation_service.ALREADY_MEMBER
        assert await roles(team.id) == {owner.id: OWNER, joiner.id: MEMBER}
        assert (await snapshot(team.id))["invitations"][0]["uses"] == 1


async def test_deleting_a_team_while_someone_accepts_leaves_nothing_behind() -> None:
    for _ in range(ROUNDS):
        owner, joiner = await make_user(), await make_user()
        team = await make_team(owner)
        _, token = await make_invitation(team, created_by=owner)
        results = await _at_once(
            (team_service.delete_team, {"actor": owner, "team_id": team.id}),
            (invitation_service.accept_invitation, {"actor": joiner, "token": token}),
        )
        assert results[0] is None
        assert results[1].__class__.__name__ == "TeamPublic" or isinstance(results[1], NotFound)
        assert await snapshot(team.id) == {"team": [], "memberships": [], "invitations": [], "audit": []}
