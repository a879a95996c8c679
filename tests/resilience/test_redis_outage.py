"""Redis stopped: the rate-limited actions fail closed with a 503 that names Redis, everything else
keeps working on PostgreSQL, and all of it recovers once Redis is back (no app restart).
"""

from __future__ import annotations

import collections

import httpx

from tests.resilience.clients import PASSWORD, Account, client, log_in, sign_up
from tests.resilience.processes import AppServer
from tests.resilience.stack import Stack


async def _rate_limited_actions(http: httpx.AsyncClient, account: Account) -> list[httpx.Response]:
    address = {"X-Forwarded-For": account.address}
    return [
        await http.post(
            "/api/v1/user/auth", json={"login": account.email, "password": PASSWORD}, headers=address
        ),
        await http.post("/api/v1/user/password/reset/send", json={"email": account.email}, headers=address),
        await http.post("/api/v1/user/verify/send", json={"email": account.email}, headers=address),
    ]


async def _everything_else(http: httpx.AsyncClient, owner: Account, member: Account) -> list[httpx.Response]:
    answers = [await http.get("/api/v1/user/me", headers=owner.headers)]
    created = await http.post("/api/v1/team", json={"name": "Redis outage"}, headers=owner.headers)
    answers.append(created)
    team_id = created.json()["id"]
    answers.append(
        await http.put(
            f"/api/v1/team/{team_id}/settings", json={"description": "still here"}, headers=owner.headers
        )
    )
    invitation = await http.post(
        "/api/v1/team/invitation", json={"team_id": team_id, "role": "member"}, headers=owner.headers
    )
    answers.append(invitation)
    token = invitation.json()["link"].rpartition("token=")[2]
    answers.append(
        await http.post("/api/v1/team/invitation/accept", json={"token": token}, headers=member.headers)
    )
    answers.append(
        await http.put(
            f"/api/v1/team/{team_id}/user/{member.id}", json={"role": "admin"}, headers=owner.headers
        )
    )
    answers.append(await http.get(f"/api/v1/team/{team_id}", headers=member.headers))
    answers.append(await http.get("/api/v1/teams", headers=owner.headers))
    answers.append(await http.get("/api/v1/user/sessions", headers=owner.headers))
    return answers


def _tally(answers: list[httpx.Response]) -> collections.Counter[int]:
    return collections.Counter(answer.status_code for answer in answers)


async def test_redis_outage_fails_closed_and_recovers(stack: Stack, app_server: AppServer) -> None:
    async with client(app_server.url) as http:
        owner = await sign_up(stack, http)
        member = await sign_up(stack, http)
        await log_in(http, owner)
        await log_in(http, member)

        stack.redis.stop()
        try:
            limited_down = await _rate_limited_actions(http, owner)
            others_down = await _everything_else(http, owner, member)
            health_down = await http.get("/api/v1/monitoring/health")
        finally:
            stack.redis.start()

        limited_after = await _rate_limited_actions(http, owner)
        others_after = await _everything_else(http, owner, member)
        health_after = await http.get("/api/v1/monitoring/health")

    print(
        f"Redis down: rate-limited {_tally(limited_down)}, others {_tally(others_down)}; "
        f"back: rate-limited {_tally(limited_after)}, others {_tally(others_after)}"
    )
    for answer in limited_down:
        assert answer.status_code == 503, answer.text
        assert "Redis" in answer.json()["detail"], answer.text
    assert all(200 <= answer.status_code < 300 for answer in others_down), [a.text for a in others_down]
    assert health_down.status_code == 503 and health_down.json()["down"] == ["redis"], health_down.text
    assert [answer.status_code for answer in limited_after] == [200, 202, 202], [
        a.text for a in limited_after
    ]
    assert all(200 <= answer.status_code < 300 for answer in others_after), [a.text for a in others_after]
    assert health_after.status_code == 200, health_after.text
