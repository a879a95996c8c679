"""An invitation carries its creator's authority: it stops when the creator may no longer give it."""

from __future__ import annotations

import httpx

from teamsapp.models import Role
from tests.factories.teams import make_team
from tests.factories.users import login, make_user
from tests.fixtures.teams import roles

INVITE = "/api/v1/team/invitation"
ACCEPT = "/api/v1/team/invitation/accept"


async def _link(
    client: httpx.AsyncClient, auth: dict[str, str], team_id: object, role: str
) -> tuple[str, str]:
    response = await client.post(INVITE, json={"team_id": str(team_id), "role": role}, headers=auth)
    assert response.status_code == 201, response.text
    created = response.json()
    return created["id"], created["link"].split("token=", 1)[1]


async def _status(client: httpx.AsyncClient, auth: dict[str, str], invitation_id: str) -> str:
    response = await client.get(f"{INVITE}/{invitation_id}", headers=auth)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def test_a_removed_admin_cannot_rejoin_through_their_own_unlimited_link(
    client: httpx.AsyncClient,
) -> None:
    owner, admin = await make_user(), await make_user()
    team = await make_team(owner, members=[(admin, Role.ADMIN)])
    owner_auth, admin_auth = await login(client, owner), await login(client, admin)
    invitation_id, token = await _link(client, admin_auth, team.id, "admin")
    removed = await client.delete(f"/api/v1/team/{team.id}/user/{admin.id}", headers=owner_auth)
    assert removed.status_code == 204

    rejoin = await client.post(ACCEPT, json={"token": token}, headers=admin_auth)
    assert rejoin.status_code == 409
    assert rejoin.json()["field"] == "token"
    assert admin.id not in await roles(team.id)
    assert await _status(client, owner_auth, invitation_id) == "revoked"
    preview = await client.post(f"{INVITE}/preview", json={"token": token}, headers=admin_auth)
    assert preview.json()["status"] == "revoked"

    # Invited back by the owner as a member, and even made admin again: the old link stays dead.
    _, member_token = await _link(client, owner_auth, team.id, "member")
    assert (await client.post(ACCEPT, json={"token": member_token}, headers=admin_auth)).status_code == 200
    promoted = await client.put(
        f"/api/v1/team/{team.id}/user/{admin.id}", json={"role": "admin"}, headers=owner_auth
    )
    assert promoted.status_code == 200
    newcomer = await make_user()
    late = await client.post(ACCEPT, json={"token": token}, headers=await login(client, newcomer))
    assert late.status_code == 409
    assert newcomer.id not in await roles(team.id)


async def test_a_demoted_admins_admin_links_stop_and_an_owners_keep_working(
    client: httpx.AsyncClient,
) -> None:
    owner, admin, first, second = [await make_user() for _ in range(4)]
    team = await make_team(owner, members=[(admin, Role.ADMIN)])
    owner_auth, admin_auth = await login(client, owner), await login(client, admin)
    admin_link_id, admin_token = await _link(client, admin_auth, team.id, "admin")
    member_link_id, member_token = await _link(client, admin_auth, team.id, "member")
    _, owners_token = await _link(client, owner_auth, team.id, "admin")

    demoted = await client.put(
        f"/api/v1/team/{team.id}/user/{admin.id}", json={"role": "member"}, headers=owner_auth
    )
    assert demoted.status_code == 200
    first_auth = await login(client, first)
    for token in (admin_token, member_token):
        refused = await client.post(ACCEPT, json={"token": token}, headers=first_auth)
        assert refused.status_code == 409
        assert "no longer valid" in refused.json()["detail"]
    listed = (await client.get(f"/api/v1/team/{team.id}/invitations", headers=owner_auth)).json()
    assert {item["id"]: item["status"] for item in listed if item["created_by_id"] == str(admin.id)} == {
        admin_link_id: "revoked",
        member_link_id: "revoked",
    }
    assert (await client.post(ACCEPT, json={"token": owners_token}, headers=first_auth)).status_code == 200
    assert (await roles(team.id))[first.id] is Role.ADMIN

    # The owner gives the admin role back: links made while they were admin work again.
    await client.put(f"/api/v1/team/{team.id}/user/{admin.id}", json={"role": "admin"}, headers=owner_auth)
    accepted = await client.post(ACCEPT, json={"token": member_token}, headers=await login(client, second))
    assert accepted.status_code == 200


async def test_an_owners_owner_link_stops_when_they_step_down_or_leave(client: httpx.AsyncClient) -> None:
    founder, partner, joiner = await make_user(), await make_user(), await make_user()
    team = await make_team(founder, members=[(partner, Role.OWNER)])
    founder_auth = await login(client, founder)
    invitation_id, token = await _link(client, founder_auth, team.id, "owner")
    _, admin_token = await _link(client, founder_auth, team.id, "admin")
    left = await client.delete(f"/api/v1/team/{team.id}/user/{founder.id}", headers=founder_auth)
    assert left.status_code == 204
    joiner_auth = await login(client, joiner)
    for link in (token, admin_token):
        assert (await client.post(ACCEPT, json={"token": link}, headers=joiner_auth)).status_code == 409
    assert joiner.id not in await roles(team.id)
    partner_auth = await login(client, partner)
    assert await _status(client, partner_auth, invitation_id) == "revoked"


async def test_only_owners_make_owner_the_default_role(client: httpx.AsyncClient) -> None:
    owner, admin = await make_user(), await make_user()
    team = await make_team(owner, members=[(admin, Role.ADMIN)])
    settings = f"/api/v1/team/{team.id}/settings"
    admin_auth = await login(client, admin)
    refused = await client.put(settings, json={"default_role": "owner"}, headers=admin_auth)
    assert refused.status_code == 403
    assert refused.json()["field"] == "default_role"
    team_now = (await client.get(f"/api/v1/team/{team.id}", headers=admin_auth)).json()
    assert team_now["default_role"] == "member"
    assert (await client.put(settings, json={"default_role": "admin"}, headers=admin_auth)).status_code == 200

    owner_auth = await login(client, owner)
    accepted = await client.put(settings, json={"default_role": "owner"}, headers=owner_auth)
    assert accepted.status_code == 200
    assert accepted.json()["default_role"] == "owner"
    # The admin may still edit the rest of the settings, which the form sends with the role unchanged.
    renamed = await client.put(
        settings, json={"name": "Renamed", "default_role": "owner"}, headers=admin_auth
    )
    assert renamed.status_code == 200
    assert (await client.post(INVITE, json={"team_id": str(team.id)}, headers=admin_auth)).status_code == 403
