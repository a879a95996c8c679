"""The team routes over REST: shapes of SPEC 9, bad input, authentication and OpenAPI."""

from __future__ import annotations

import uuid

import httpx
import pytest

from teamsapp.models import Role
from tests.factories.teams import make_team
from tests.factories.users import login, make_user
from tests.fixtures.teams import audit_trail, roles, snapshot


async def test_create_read_list_and_leave_a_team(client: httpx.AsyncClient) -> None:
    owner, member = await make_user(full_name="Owner One"), await make_user()
    auth = await login(client, owner)
    created = await client.post(
        "/api/v1/team", json={"name": "Writers", "description": "We write"}, headers=auth
    )
    assert created.status_code == 201
    team = created.json()
    assert set(team) == {
        "id",
        "name",
        "description",
        "role",
        "members",
        "default_role",
        "invitation_ttl_hours",
    }
    assert team["members"] == [
        {"user_id": str(owner.id), "username": owner.username, "full_name": "Owner One", "role": "owner"}
    ]
    await make_team(owner, name="Another")
    listed = (await client.get("/api/v1/teams", headers=auth)).json()
    assert [(t["name"], t["role"]) for t in listed] == [("Another", "owner"), ("Writers", "owner")]
    assert set(listed[0]) == {"id", "name", "description", "role"}

    team_id = uuid.UUID(team["id"])
    promoted = await client.put(
        f"/api/v1/team/{team_id}/user/{owner.id}", json={"role": "owner"}, headers=auth
    )
    assert promoted.status_code == 200
    assert (await client.delete(f"/api/v1/team/{team_id}/user/{owner.id}", headers=auth)).status_code == 409

    member_auth = await login(client, member)
    assert (await client.get(f"/api/v1/team/{team_id}", headers=member_auth)).status_code == 404
    assert (await client.get("/api/v1/teams", headers=member_auth)).json() == []


async def test_ownership_transfer_over_rest(client: httpx.AsyncClient) -> None:
    founder, heir = await make_user(), await make_user()
    team = await make_team(founder, members=[(heir, Role.MEMBER)])
    auth = await login(client, founder)
    response = await client.put(
        f"/api/v1/team/{team.id}/user/{heir.id}", json={"role": "owner"}, headers=auth
    )
    assert response.status_code == 200
    response = await client.delete(f"/api/v1/team/{team.id}/user/{founder.id}", headers=auth)
    assert response.status_code == 204
    assert await roles(team.id) == {heir.id: Role.OWNER}
    assert [(e.action, e.actor_id, e.subject_id) for e in await audit_trail(team.id)] == [
        ("member.role_changed", founder.id, heir.id),
        ("member.left", founder.id, founder.id),
    ]


async def test_requests_without_a_token_are_401(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    team = await make_team(owner)
    for method, path in [
        ("GET", f"/api/v1/team/{team.id}"),
        ("GET", "/api/v1/teams"),
        ("DELETE", f"/api/v1/team/{team.id}"),
        ("GET", f"/api/v1/team/{team.id}/audit"),
    ]:
        assert (await client.request(method, path)).status_code == 401


async def test_unverified_users_cannot_create_teams(client: httpx.AsyncClient) -> None:
    user = await make_user(verified=False)
    response = await client.post("/api/v1/team", json={"name": "Nope"}, headers=await login(client, user))
    assert response.status_code == 403
    assert (await client.get("/api/v1/teams", headers=await login(client, user))).json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"name": "ok", "description": "d" * 1001}, "description"),
        ({"name": "ok", "owner": "me"}, "owner"),
    ],
)
async def test_bad_team_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    user = await make_user()
    response = await client.post("/api/v1/team", json=body, headers=await login(client, user))
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


async def test_malformed_json_is_a_422(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = {**await login(client, user), "content-type": "application/json"}
    assert (await client.post("/api/v1/team", content='{"name": "x"', headers=headers)).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"invitation_ttl_hours": 0}, "invitation_ttl_hours"),
        ({"invitation_ttl_hours": 720.01}, "invitation_ttl_hours"),
        ({"invitation_ttl_hours": -3}, "invitation_ttl_hours"),
        ({"invitation_ttl_hours": "long"}, "invitation_ttl_hours"),
        ({"default_role": "boss"}, "default_role"),
        ({"name": "n" * 101}, "name"),
        ({"id": str(uuid.uuid4())}, "id"),
    ],
)
async def test_bad_settings_are_a_422_and_change_nothing(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    owner = await make_user()
    team = await make_team(owner)
    before = await snapshot(team.id)
    response = await client.put(
        f"/api/v1/team/{team.id}/settings", json=body, headers=await login(client, owner)
    )
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert await snapshot(team.id) == before


async def test_other_bad_input(client: httpx.AsyncClient) -> None:
    owner, member = await make_user(), await make_user()
    team = await make_team(owner, members=[(member, Role.MEMBER)])
    auth = await login(client, owner)
    response = await client.put(
        f"/api/v1/team/{team.id}/user/{member.id}", json={"role": "king"}, headers=auth
    )
    assert response.status_code == 422
    assert "role" in str(response.json()["detail"])
    assert (await client.get("/api/v1/team/not-a-uuid", headers=auth)).status_code == 422
    for query in ("limit=0", "limit=101", "offset=-1", "offset=99999999999999999999", "limit=x"):
        assert (await client.get(f"/api/v1/team/{team.id}/audit?{query}", headers=auth)).status_code == 422
    assert (
        await client.post("/api/v1/team/invitation/accept", json={"token": ""}, headers=auth)
    ).status_code == 422
    assert (
        await client.post("/api/v1/team/invitation/accept", json={"token": "t" * 201}, headers=auth)
    ).status_code == 422
    response = await client.put("/api/v1/team", json={"name": "No id"}, headers=auth)
    assert response.status_code == 422
    assert "id" in str(response.json()["detail"])


async def test_the_audit_route_pages_newest_first(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    team = await make_team(owner)
    auth = await login(client, owner)
    for name in ("One", "Two", "Three"):
        await client.put("/api/v1/team", json={"id": str(team.id), "name": name}, headers=auth)
    page = (await client.get(f"/api/v1/team/{team.id}/audit?limit=2", headers=auth)).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [e["details"]["changes"]["name"]["to"] for e in page["items"]] == ["Three", "Two"]
    assert page["items"][0]["actor_username"] == owner.username
    rest = (await client.get(f"/api/v1/team/{team.id}/audit?limit=2&offset=2", headers=auth)).json()
    assert [e["details"]["changes"]["name"]["to"] for e in rest["items"]] == ["One"]


async def test_openapi_documents_every_team_route_with_its_models_and_errors(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    expected = {
        ("/api/v1/team", "post"): {"201", "401", "403", "422"},
        ("/api/v1/team", "put"): {"200", "401", "403", "404", "422"},
        ("/api/v1/teams", "get"): {"200", "401"},
        ("/api/v1/team/{team_id}", "get"): {"200", "401", "404", "422"},
        ("/api/v1/team/{team_id}", "delete"): {"204", "401", "403", "404", "422"},
        ("/api/v1/team/{team_id}/settings", "put"): {"200", "401", "403", "404", "422"},
        ("/api/v1/team/{team_id}/user/{user_id}", "put"): {"200", "401", "403", "404", "409", "422"},
        ("/api/v1/team/{team_id}/user/{user_id}", "delete"): {"204", "401", "403", "404", "409", "422"},
        ("/api/v1/team/invitation", "post"): {"201", "401", "403", "404", "422", "429", "503"},
        ("/api/v1/team/invitation/{invitation_id}", "get"): {"200", "401", "403", "404", "422"},
        ("/api/v1/team/{team_id}/invitations", "get"): {"200", "401", "403", "404", "422"},
        ("/api/v1/team/invitation/{invitation_id}/toggle", "put"): {"200", "401", "403", "404", "422"},
        ("/api/v1/team/invitation/{invitation_id}/delete", "delete"): {"204", "401", "403", "404", "422"},
        ("/api/v1/team/invitation/accept", "post"): {"200", "401", "403", "404", "409", "422"},
        ("/api/v1/team/{team_id}/audit", "get"): {"200", "401", "403", "404", "422"},
    }
    for (path, method), codes in expected.items():
        operation = spec["paths"][path][method]
        assert set(operation["responses"]) == codes, (path, method)
        assert operation["description"] or operation["summary"]
        success = next(code for code in codes if code.startswith("2"))
        if success != "204":
            assert "schema" in operation["responses"][success]["content"]["application/json"], (path, method)
    assert "application/json" in spec["paths"]["/api/v1/team/invitation"]["post"]["requestBody"]["content"]
    assert {"TeamPublic", "TeamSummary", "InvitationCreated", "InvitationPublic", "AuditPage"} <= set(
        spec["components"]["schemas"]
    )
