"""Every team-scoped route x {outsider, member, admin, owner}: the expected status; refusals change nothing.

Each cell gets a fresh team: an owner, an admin and a member (the callers), another member and
another admin (the targets), and an active member invitation. The outsider is in no team. For
outsiders the 404 must also be the very answer given for ids that do not exist.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from teamsapp.models import Role, User
from tests.factories.teams import make_invitation, make_team
from tests.factories.users import login, make_user
from tests.fixtures.teams import snapshot

CALLERS = ("outsider", "member", "admin", "owner")


@dataclasses.dataclass(frozen=True)
class World:
    team: uuid.UUID
    invitation: uuid.UUID
    token: str
    member: uuid.UUID
    admin2: uuid.UUID
    caller: uuid.UUID

    def ids(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "invitation": self.invitation,
            "member": self.member,
            "admin2": self.admin2,
        }


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    expected: tuple[int, int, int, int]  # outsider, member, admin, owner
    body: Callable[[World], dict[str, Any]] | None = None
    mutates: bool = True


CASES = [
    Case("view team", "GET", "/api/v1/team/{team}", (404, 200, 200, 200), mutates=False),
    Case("list invitations", "GET", "/api/v1/team/{team}/invitations", (404, 403, 200, 200), mutates=False),
    Case(
        "view invitation", "GET", "/api/v1/team/invitation/{invitation}", (404, 403, 200, 200), mutates=False
    ),
    Case("read audit log", "GET", "/api/v1/team/{team}/audit", (404, 403, 200, 200), mutates=False),
    Case(
        "edit team",
        "PUT",
        "/api/v1/team",
        (404, 403, 200, 200),
        lambda w: {"id": str(w.team), "name": "Renamed"},
    ),
    Case(
        "edit settings",
        "PUT",
        "/api/v1/team/{team}/settings",
        (404, 403, 200, 200),
        lambda w: {"invitation_ttl_hours": 5, "default_role": "admin"},
    ),
    Case("delete team", "DELETE", "/api/v1/team/{team}", (404, 403, 403, 204)),
    Case(
        "member -> admin",
        "PUT",
        "/api/v1/team/{team}/user/{member}",
        (404, 403, 200, 200),
        lambda w: {"role": "admin"},
    ),
    Case(
        "member -> owner",
        "PUT",
        "/api/v1/team/{team}/user/{member}",
        (404, 403, 403, 200),
        lambda w: {"role": "owner"},
    ),
    Case(
        "admin -> member",
        "PUT",
        "/api/v1/team/{team}/user/{admin2}",
        (404, 403, 200, 200),
        lambda w: {"role": "member"},
    ),
    Case("remove member", "DELETE", "/api/v1/team/{team}/user/{member}", (404, 403, 204, 204)),
    Case("remove admin", "DELETE", "/api/v1/team/{team}/user/{admin2}", (404, 403, 403, 204)),
    Case("leave", "DELETE", "/api/v1/team/{team}/user/{caller}", (404, 204, 204, 409)),
    Case(
        "invite member",
        "POST",
        "/api/v1/team/invitation",
        (404, 403, 201, 201),
        lambda w: {"team_id": str(w.team), "role": "member"},
    ),
    Case(
        "invite owner",
        "POST",
        "/api/v1/team/invitation",
        (404, 403, 403, 201),
        lambda w: {"team_id": str(w.team), "role": "owner", "max_uses": 1},
    ),
    Case("toggle invitation", "PUT", "/api/v1/team/invitation/{invitation}/toggle", (404, 403, 200, 200)),
    Case("delete invitation", "DELETE", "/api/v1/team/invitation/{invitation}/delete", (404, 403, 204, 204)),
    Case(
        "accept invitation",
        "POST",
        "/api/v1/team/invitation/accept",
        (200, 409, 409, 409),
        lambda w: {"token": w.token},
    ),
]

MATRIX = [
    (case, caller, status) for case in CASES for caller, status in zip(CALLERS, case.expected, strict=True)
]


def _shape(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


def test_the_matrix_covers_every_team_scoped_route() -> None:
    from teamsapp.api import api

    documented = {
        (method.upper(), _shape(path))
        for path, operations in api.openapi()["paths"].items()
        if path == "/api/v1/team" or path.startswith("/api/v1/team/")
        for method in operations
    }
    not_team_scoped = {("POST", "/api/v1/team"), ("POST", "/api/v1/team/invitation/preview")}
    covered = {(case.method, _shape(case.path)) for case in CASES}
    assert documented - not_team_scoped == covered
    assert len(MATRIX) == len(CASES) * len(CALLERS) == 72


async def _request(
    client: httpx.AsyncClient, case: Case, world: World, headers: dict[str, str]
) -> httpx.Response:
    path = case.path.format(**world.ids(), caller=world.caller)
    body = case.body(world) if case.body else None
    return await client.request(case.method, path, json=body, headers=headers)


async def _world(caller: str) -> tuple[World, User]:
    owner, admin, member, target_member, target_admin = [await make_user() for _ in range(5)]
    team = await make_team(
        owner,
        members=[
            (admin, Role.ADMIN),
            (member, Role.MEMBER),
            (target_member, Role.MEMBER),
            (target_admin, Role.ADMIN),
        ],
    )
    invitation, token = await make_invitation(team, created_by=owner)
    acting = {"owner": owner, "admin": admin, "member": member, "outsider": await make_user()}[caller]
    world = World(
        team=team.id,
        invitation=invitation.id,
        token=token,
        member=target_member.id,
        admin2=target_admin.id,
        caller=acting.id,
    )
    return world, acting


@pytest.mark.parametrize(
    ("case", "caller", "expected"), MATRIX, ids=[f"{case.name}-{caller}" for case, caller, _ in MATRIX]
)
async def test_access(client: httpx.AsyncClient, case: Case, caller: str, expected: int) -> None:
    world, acting = await _world(caller)
    headers = await login(client, acting)
    before = await snapshot(world.team)

    response = await _request(client, case, world, headers)

    assert response.status_code == expected, response.text
    after = await snapshot(world.team)
    if expected >= 400:
        assert after == before, "a refused call changed the database"
        assert isinstance(response.json()["detail"], str)
    elif case.mutates:
        assert after != before
    if expected == 404:
        unknown = dataclasses.replace(world, team=uuid.uuid4(), invitation=uuid.uuid4())
        missing = await _request(client, case, unknown, headers)
        assert (missing.status_code, missing.json()) == (404, response.json()), (
            "a 404 leaked the team's existence"
        )
