"""The app SIGKILLed during a burst of team changes: after a restart, every change answered 2xx is
there, none refused with an error answer or never sent is, and a change cut in flight is there
either whole or not at all.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from collections.abc import Awaitable

import httpx

from tests.resilience.clients import Account, client, log_in, sign_up
from tests.resilience.processes import AppServer
from tests.resilience.stack import Stack

MEMBERS = 3
CREATORS = 3
BURST_SECONDS = 2.0
# The connection was never made: the server cannot have seen the request.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclasses.dataclass
class Change:
    """One change request and how it ended: ok (2xx), refused (an error answer), cut, or not sent."""

    value: str
    result: str = "pending"


async def _send(changes: list[Change], value: str, call: Awaitable[httpx.Response]) -> bool:
    """Record one change; False once the server is gone."""
    change = Change(value)
    changes.append(change)
    try:
        response = await call
    except NOT_SENT:
        change.result = "not sent"
        return False
    except httpx.HTTPError:
        change.result = "cut"
        return False
    change.result = "ok" if response.is_success else "refused"
    return True


async def _join(http: httpx.AsyncClient, owner: Account, member: Account, team_id: str) -> None:
    invitation = await http.post(
        "/api/v1/team/invitation", json={"team_id": team_id, "role": "member"}, headers=owner.headers
    )
    token = invitation.json()["link"].rpartition("token=")[2]
    joined = await http.post("/api/v1/team/invitation/accept", json={"token": token}, headers=member.headers)
    assert joined.status_code == 200, joined.text


def _last(changes: list[Change]) -> tuple[set[str], str | None]:
    """The values the stored state may hold: the last acknowledged one, or a later one cut in flight."""
    acknowledged = [change.value for change in changes if change.result == "ok"]
    possible = {acknowledged[-1]} if acknowledged else set()
    possible |= {change.value for change in changes[len(acknowledged) :] if change.result == "cut"}
    return possible, acknowledged[-1] if acknowledged else None


async def test_sigkill_during_a_burst_loses_no_acknowledged_change(
    stack: Stack, app_server: AppServer
) -> None:
    async with client(app_server.url) as http:
        owner = await sign_up(stack, http)
        await log_in(http, owner)
        team_id = (await http.post("/api/v1/team", json={"name": "Burst"}, headers=owner.headers)).json()[
            "id"
        ]
        members = [await sign_up(stack, http) for _ in range(MEMBERS)]
        for member in members:
            await log_in(http, member)
            await _join(http, owner, member, team_id)

        creates: dict[int, list[Change]] = collections.defaultdict(list)
        roles: dict[str, list[Change]] = collections.defaultdict(list)
        descriptions: list[Change] = []
        prefix = f"kill-{owner.id[:8]}"

        async def creator(number: int) -> None:
            sequence = 0
            while await _send(
                creates[number],
                name := f"{prefix}-{number}-{sequence}",
                http.post("/api/v1/team", json={"name": name}, headers=owner.headers),
            ):
                sequence += 1

        async def role_flipper(member: Account) -> None:
            sequence = 0
            while await _send(
                roles[member.id],
                role := ("admin", "member")[sequence % 2],
                http.put(
                    f"/api/v1/team/{team_id}/user/{member.id}", json={"role": role}, headers=owner.headers
                ),
            ):
                sequence += 1

        async def describer() -> None:
            sequence = 0
            while await _send(
                descriptions,
                text := f"description {sequence}",
                http.put(
                    f"/api/v1/team/{team_id}/settings", json={"description": text}, headers=owner.headers
                ),
            ):
                sequence += 1

        workers = [creator(number) for number in range(CREATORS)]
        workers += [role_flipper(member) for member in members] + [describer()]
        burst = asyncio.gather(*workers)
        await asyncio.sleep(BURST_SECONDS)
        app_server.kill()
        await burst

        app_server.start()
        listed = await http.get("/api/v1/teams", headers=owner.headers)
        team = await http.get(f"/api/v1/team/{team_id}", headers=owner.headers)
    assert listed.status_code == 200 and team.status_code == 200

    every = [change for changes in creates.values() for change in changes]
    every += [change for changes in roles.values() for change in changes] + descriptions
    print(f"changes by result: {collections.Counter(change.result for change in every)}")

    stored_names = {row["name"] for row in listed.json() if row["name"].startswith(prefix)}
    for changes in creates.values():
        for change in changes:
            if change.result == "ok":
                assert change.value in stored_names, f"acknowledged team {change.value} lost"
            elif change.result in {"refused", "not sent"}:
                assert change.value not in stored_names, f"{change.result} team {change.value} stored"
    half_written = stack.query(
        "SELECT t.name FROM team t WHERE t.name LIKE %s AND NOT EXISTS "
        "(SELECT 1 FROM membership m WHERE m.team_id = t.id AND m.role = 'owner')",
        f"{prefix}-%",
    )
    assert not half_written, half_written

    stored_roles = {member["user_id"]: member["role"] for member in team.json()["members"]}
    for member in members:
        possible, acknowledged = _last(roles[member.id])
        print(f"member {member.id[:8]}: acknowledged {acknowledged}, stored {stored_roles[member.id]}")
        assert stored_roles[member.id] in (possible or {"member"}), (
            stored_roles[member.id],
            roles[member.id],
        )
    possible, acknowledged = _last(descriptions)
    print(f"description: acknowledged {acknowledged!r}, stored {team.json()['description']!r}")
    assert team.json()["description"] in (possible or {""}), (team.json()["description"], descriptions[-3:])
