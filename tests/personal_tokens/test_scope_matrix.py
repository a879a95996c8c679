"""Every route of SPEC 5 and the two user reads x {no scope, each scope, all scopes}.

A token with the route's scope gets the answer a log-in session would; any other token gets a 403
naming the scope, and the refused call changes nothing. The routes come from
`tests/teams/test_access_matrix.py` (which proves it covers every team route) plus the ones that
are not about one existing team.
"""

from __future__ import annotations

import httpx
import pytest

from teamsapp.personal_tokens.schemas import Scope
from tests.factories.api_tokens import bearer, make_api_token
from tests.factories.users import make_user
from tests.fixtures.teams import snapshot
from tests.teams.test_access_matrix import CASES, Case, _request, _world

R, W, U = Scope.TEAMS_READ, Scope.TEAMS_WRITE, Scope.USER_READ
# Team routes by the scope they need: reads need teams:read (the invitation preview reads too).
MORE_CASES = [
    Case("create team", "POST", "/api/v1/team", (201, 201, 201, 201), lambda w: {"name": "Made by a script"}),
    Case("list teams", "GET", "/api/v1/teams", (200, 200, 200, 200), mutates=False),
    Case(
        "preview invitation",
        "POST",
        "/api/v1/team/invitation/preview",
        (200, 200, 200, 200),
        lambda w: {"token": w.token},
        mutates=False,
    ),
    Case("read me", "GET", "/api/v1/user/me", (200, 200, 200, 200), mutates=False),
    Case("read profile", "GET", "/api/v1/user/{member}", (200, 200, 200, 200), mutates=False),
]
TOKEN_SCOPES: dict[str, tuple[Scope, ...]] = {
    "no scope": (),
    "user:read": (U,),
    "teams:read": (R,),
    "teams:write": (W,),
    "all scopes": (U, R, W),
}


def needed(case: Case) -> Scope:
    """The scope a route needs."""
    if case.path.startswith("/api/v1/user"):
        return U
    return R if case.method == "GET" or case.name == "preview invitation" else W


MATRIX = [(case, kind) for case in CASES + MORE_CASES for kind in TOKEN_SCOPES]


def test_the_matrix_covers_every_route_that_takes_a_token() -> None:
    from teamsapp.api import api

    takes_tokens = {
        (method.upper(), path)
        for path, operations in api.openapi()["paths"].items()
        for method, operation in operations.items()
        if {"APIToken": []} in operation.get("security", [])
    }
    covered = {(case.method, case.path) for case in CASES + MORE_CASES}
    shape = {"{team}": "{team_id}", "{invitation}": "{invitation_id}", "{member}": "{user_id}"}
    for short, long in shape.items():
        covered = {(method, path.replace(short, long)) for method, path in covered}
    covered = {(m, p.replace("{admin2}", "{user_id}").replace("{caller}", "{user_id}")) for m, p in covered}
    assert takes_tokens == covered
    assert len(MATRIX) == 23 * 5


async def _teams_of(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, str]]:
    teams: list[dict[str, str]] = (await client.get("/api/v1/teams", headers=headers)).json()
    return teams


@pytest.mark.parametrize(("case", "kind"), MATRIX, ids=[f"{case.name}-{kind}" for case, kind in MATRIX])
async def test_scope(client: httpx.AsyncClient, case: Case, kind: str) -> None:
    # Accepting is for someone outside the team; every other route is called by its owner.
    caller = "outsider" if case.name == "accept invitation" else "owner"
    world, acting = await _world(caller)
    token = (await make_api_token(acting, TOKEN_SCOPES[kind])).token
    reader = bearer((await make_api_token(acting, (R,))).token)
    before, teams_before = await snapshot(world.team), await _teams_of(client, reader)

    response = await _request(client, case, world, bearer(token))

    allowed = needed(case) in TOKEN_SCOPES[kind]
    if allowed:
        expected = case.expected[0] if caller == "outsider" else case.expected[3]
        assert response.status_code == expected, response.text
        if case.mutates and expected < 400:
            assert (await snapshot(world.team), await _teams_of(client, reader)) != (before, teams_before)
        return
    assert response.status_code == 403, response.text
    assert f"`{needed(case)}`" in response.json()["detail"]
    assert await snapshot(world.team) == before, "a refused call changed the database"
    assert await _teams_of(client, reader) == teams_before


async def test_a_refused_token_call_does_not_mark_the_token_used(client: httpx.AsyncClient) -> None:
    from tests.personal_tokens.helpers import token_row

    created = await make_api_token(await make_user(), (U,))
    assert (await client.get("/api/v1/teams", headers=bearer(created.token))).status_code == 403
    row = await token_row(created.id)
    assert row is not None and row.last_used_at is None
