"""Invitation mails are rate limited per team and per recipient; a refused one stores and mails nothing."""

from __future__ import annotations

import secrets

import httpx
from sqlmodel import func, select

from teamsapp.core.config import get_settings
from teamsapp.core.db import session_scope
from teamsapp.models import Invitation
from tests.factories.teams import make_team
from tests.factories.users import login, make_user
from tests.fixtures.users import mails_to

INVITE = "/api/v1/team/invitation"


async def _invitations_to(address: str) -> int:
    async with session_scope() as session:
        result = await session.exec(
            select(func.count()).select_from(Invitation).where(Invitation.email == address)
        )
        return int(result.one())


def _address() -> str:
    return f"invitee-{secrets.token_hex(5)}@example.com"


async def test_one_address_gets_three_invitation_mails_an_hour_from_any_team(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_user(full_name="Totally Your Bank")
    teams = [await make_team(owner) for _ in range(2)]
    auth = await login(client, owner)
    victim = _address()
    for index in range(3):
        body = {"team_id": str(teams[index % 2].id), "email": victim}
        assert (await client.post(INVITE, json=body, headers=auth)).status_code == 201
    for team in teams:
        refused = await client.post(INVITE, json={"team_id": str(team.id), "email": victim}, headers=auth)
        assert refused.status_code == 429
        assert 3000 < int(refused.headers["Retry-After"]) <= 3600
        assert refused.json()["field"] == "email"
    assert await _invitations_to(victim) == 3
    assert await mails_to(victim) == 3
    # Other addresses, and links without a mail, are not held up by one address's limit.
    assert (
        await client.post(INVITE, json={"team_id": str(teams[0].id), "email": _address()}, headers=auth)
    ).status_code == 201
    assert (await client.post(INVITE, json={"team_id": str(teams[0].id)}, headers=auth)).status_code == 201


async def test_one_team_sends_twenty_invitation_mails_an_hour(client: httpx.AsyncClient) -> None:
    owner = await make_user()
    team, other_team = await make_team(owner), await make_team(owner)
    auth = await login(client, owner)
    limit = get_settings().invitation_mails_per_team_hour
    assert limit == 20
    for _ in range(limit):
        assert (
            await client.post(INVITE, json={"team_id": str(team.id), "email": _address()}, headers=auth)
        ).status_code == 201
    late = _address()
    refused = await client.post(INVITE, json={"team_id": str(team.id), "email": late}, headers=auth)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert await _invitations_to(late) == 0
    assert await mails_to(late) == 0
    # The refused mail did not use up the address's own allowance, and other teams are not held up.
    assert (
        await client.post(INVITE, json={"team_id": str(other_team.id), "email": late}, headers=auth)
    ).status_code == 201
