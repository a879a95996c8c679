"""Invitations end to end over REST, with the mail delivered to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update
from sqlmodel import col, select

from teamsapp.core.config import get_settings
from teamsapp.core.db import session_scope
from teamsapp.core.security import token_hash
from teamsapp.models import Invitation, Role
from teamsapp.models.base import utcnow
from tests.factories.teams import make_team
from tests.factories.users import login, make_user
from tests.fixtures.mail import Mailbox
from tests.fixtures.teams import roles

INVITATION_KEYS = {
    "id",
    "team_id",
    "role",
    "email",
    "status",
    "uses",
    "max_uses",
    "expires_at",
    "created_at",
    "created_by_id",
}


def _counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def _expire(invitation_id: str) -> None:
    async with session_scope() as session:
        await session.exec(
            update(Invitation)
            .where(col(Invitation.id) == uuid.UUID(invitation_id))
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )


async def test_an_email_invitation_is_mailed_and_accepted_only_by_that_address(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    owner = await make_user(full_name="Grace Hopper")
    invitee = await make_user(email=f"Invitee-{uuid.uuid4().hex[:8]}@Example.com".lower())
    stranger = await make_user()
    owner_auth = await login(client, owner)
    created_before = _counter("teamsapp_invitations_created_total")
    accepted_before = _counter("teamsapp_invitations_accepted_total")

    team = (await client.post("/api/v1/team", json={"name": "Compilers"}, headers=owner_auth)).json()
    response = await client.post(
        "/api/v1/team/invitation",
        json={"team_id": team["id"], "role": "admin", "email": invitee.email.upper()},
        headers=owner_auth,
    )
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert set(invitation) == INVITATION_KEYS | {"link"}
    assert (invitation["role"], invitation["email"], invitation["status"]) == (
        "admin",
        invitee.email,
        "active",
    )
    assert (invitation["uses"], invitation["max_uses"]) == (0, 1)
    assert invitation["link"].startswith(f"{get_settings().base_url}/invite?token=")
    expires_at = dt.datetime.fromisoformat(invitation["expires_at"])
    assert dt.timedelta(hours=71) < expires_at - utcnow() <= dt.timedelta(hours=72)

    mail = await mailbox.wait_for(to=invitee.email, subject_contains="Compilers")
    assert "Grace Hopper" in str(mail["Subject"])
    assert mailbox.link(mail) == invitation["link"]
    token = mailbox.link_token(mail)
    async with session_scope() as session:
        stored = await session.get(Invitation, uuid.UUID(invitation["id"]))
        assert stored is not None
        assert stored.token_hash == token_hash(token) != token

    shown = await client.get(f"/api/v1/team/invitation/{invitation['id']}", headers=owner_auth)
    assert set(shown.json()) == INVITATION_KEYS

    stranger_auth = await login(client, stranger)
    refused = await client.post(
        "/api/v1/team/invitation/accept", json={"token": token}, headers=stranger_auth
    )
    assert refused.status_code == 403
    assert "another email address" in refused.json()["detail"]

    invitee_auth = await login(client, invitee)
    preview = await client.post(
        "/api/v1/team/invitation/preview", json={"token": token}, headers=invitee_auth
    )
    assert preview.json() == {
        "team_name": "Compilers",
        "role": "admin",
        "email": invitee.email,
        "status": "active",
    }
    joined = await client.post("/api/v1/team/invitation/accept", json={"token": token}, headers=invitee_auth)
    assert joined.status_code == 200, joined.text
    assert joined.json()["role"] == "admin"
    assert {(m["user_id"], m["role"]) for m in joined.json()["members"]} == {
        (str(owner.id), "owner"),
        (str(invitee.id), "admin"),
    }

    again = await client.post("/api/v1/team/invitation/accept", json={"token": token}, headers=invitee_auth)
    assert again.status_code == 409
    shown = (await client.get(f"/api/v1/team/invitation/{invitation['id']}", headers=owner_auth)).json()
    assert (shown["status"], shown["uses"]) == ("used_up", 1)
    assert _counter("teamsapp_invitations_created_total") == created_before + 1
    assert _counter("teamsapp_invitations_accepted_total") == accepted_before + 1

    log = (await client.get(f"/api/v1/team/{team['id']}/audit", headers=invitee_auth)).json()
    assert [(e["action"], e["actor_id"], e["subject_id"]) for e in log["items"]] == [
        ("member.joined", str(invitee.id), str(invitee.id)),
        ("invitation.created", str(owner.id), invitation["id"]),
        ("team.created", str(owner.id), team["id"]),
    ]


async def test_a_link_invitation_is_shared_until_used_up_then_refused(client: httpx.AsyncClient) -> None:
    owner, first, second, third = [await make_user() for _ in range(4)]
    team = await make_team(owner)
    owner_auth = await login(client, owner)
    response = await client.post(
        "/api/v1/team/invitation",
        json={"team_id": str(team.id), "max_uses": 2, "ttl_hours": 0.5},
        headers=owner_auth,
    )
    assert response.status_code == 201
    invitation = response.json()
    assert (invitation["role"], invitation["email"], invitation["max_uses"]) == ("member", None, 2)
    assert (
        dt.timedelta(minutes=29)
        < dt.datetime.fromisoformat(invitation["expires_at"]) - utcnow()
        <= dt.timedelta(minutes=30)
    )
    token = _token(invitation["link"])
    for user in (first, second):
        joined = await client.post(
            "/api/v1/team/invitation/accept", json={"token": token}, headers=await login(client, user)
        )
        assert joined.status_code == 200
        assert joined.json()["role"] == "member"
    refused = await client.post(
        "/api/v1/team/invitation/accept", json={"token": token}, headers=await login(client, third)
    )
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "This invitation has already been used as often as it allows.",
        "field": "token",
    }
    assert await roles(team.id) == {owner.id: Role.OWNER, first.id: Role.MEMBER, second.id: Role.MEMBER}


async def test_each_refusal_has_a_clear_message_and_changes_nothing(client: httpx.AsyncClient) -> None:
    owner, joiner = await make_user(), await make_user()
    unverified = await make_user(verified=False)
    team = await make_team(owner)
    owner_auth = await login(client, owner)
    joiner_auth = await login(client, joiner)

    async def invite(**extra: object) -> dict[str, str]:
        response = await client.post(
            "/api/v1/team/invitation", json={"team_id": str(team.id), **extra}, headers=owner_auth
        )
        assert response.status_code == 201
        body: dict[str, str] = response.json()
        return body

    async def accept(token: str, auth: dict[str, str]) -> httpx.Response:
        return await client.post("/api/v1/team/invitation/accept", json={"token": token}, headers=auth)

    disabled = await invite()
    toggled = await client.put(f"/api/v1/team/invitation/{disabled['id']}/toggle", headers=owner_auth)
    assert toggled.json()["status"] == "disabled"
    response = await accept(_token(disabled["link"]), joiner_auth)
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "This invitation has been disabled by the team.",
    )

    expired = await invite()
    await _expire(expired["id"])
    assert (await client.get(f"/api/v1/team/invitation/{expired['id']}", headers=owner_auth)).json()[
        "status"
    ] == "expired"
    response = await accept(_token(expired["link"]), joiner_auth)
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "This invitation has expired. Ask the team for a new one.",
    )

    deleted = await invite()
    assert (
        await client.delete(f"/api/v1/team/invitation/{deleted['id']}/delete", headers=owner_auth)
    ).status_code == 204
    response = await accept(_token(deleted["link"]), joiner_auth)
    assert response.status_code == 404
    assert "not valid" in response.json()["detail"]
    assert (await accept("not-a-token", joiner_auth)).status_code == 404

    open_link = await invite()
    response = await accept(_token(open_link["link"]), await login(client, unverified))
    assert response.status_code == 403
    assert "email" in response.json()["detail"]
    response = await accept(_token(open_link["link"]), owner_auth)
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "You are already a member of this team.",
    )

    assert await roles(team.id) == {owner.id: Role.OWNER}
    async with session_scope() as session:
        uses = (await session.exec(select(Invitation.uses).where(Invitation.team_id == team.id))).all()
        assert set(uses) == {0}

    enabled = await client.put(f"/api/v1/team/invitation/{disabled['id']}/toggle", headers=owner_auth)
    assert enabled.json()["status"] == "active"
    assert (await accept(_token(disabled["link"]), joiner_auth)).status_code == 200
    listed = (await client.get(f"/api/v1/team/{team.id}/invitations", headers=owner_auth)).json()
    assert sorted(i["status"] for i in listed) == ["active", "active", "expired"]
    actions = [
        e["action"]
        for e in (await client.get(f"/api/v1/team/{team.id}/audit", headers=owner_auth)).json()["items"]
    ]
    assert actions[:3] == ["member.joined", "invitation.enabled", "invitation.created"]
    assert {"invitation.disabled", "invitation.deleted"} <= set(actions)


async def test_invitation_defaults_come_from_the_team_settings(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    team = await make_team(owner)
    auth = await login(client, owner)
    settings = {"default_role": "admin", "invitation_ttl_hours": 2.5}
    assert (
        await client.put(f"/api/v1/team/{team.id}/settings", json=settings, headers=auth)
    ).status_code == 200
    invitation = (
        await client.post("/api/v1/team/invitation", json={"team_id": str(team.id)}, headers=auth)
    ).json()
    assert invitation["role"] == "admin"
    remaining = dt.datetime.fromisoformat(invitation["expires_at"]) - utcnow()
    assert dt.timedelta(hours=2.4) < remaining <= dt.timedelta(hours=2.5)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ttl_hours": 0}, "ttl_hours"),
        ({"ttl_hours": -1}, "ttl_hours"),
        ({"ttl_hours": 720.5}, "ttl_hours"),
        ({"ttl_hours": "soon"}, "ttl_hours"),
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": 10**30}, "max_uses"),
        ({"role": "boss"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({"email": "x@example.com", "max_uses": 3}, "max_uses"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_bad_invitation_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    owner = await make_user()
    team = await make_team(owner)
    response = await client.post(
        "/api/v1/team/invitation", json={"team_id": str(team.id), **body}, headers=await login(client, owner)
    )
    assert response.status_code == 422
    assert field in str(response.json())
    async with session_scope() as session:
        assert (await session.exec(select(Invitation).where(Invitation.team_id == team.id))).all() == []


async def test_fractional_and_maximal_lifetimes_are_accepted(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    team = await make_team(owner)
    auth = await login(client, owner)
    for hours in (0.25, 720):
        response = await client.post(
            "/api/v1/team/invitation", json={"team_id": str(team.id), "ttl_hours": hours}, headers=auth
        )
        assert response.status_code == 201
        remaining = dt.datetime.fromisoformat(response.json()["expires_at"]) - utcnow()
        assert dt.timedelta(hours=hours) - dt.timedelta(minutes=1) < remaining <= dt.timedelta(hours=hours)
