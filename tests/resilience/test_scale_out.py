"""Two app instances on one PostgreSQL and one Redis: they share sessions and rate limits, and
killing one loses no write either of them accepted; its clients carry on against the other.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator

import httpx
import pytest

from tests.resilience.clients import PASSWORD, client, log_in, new_address, sign_up
from tests.resilience.processes import AppServer
from tests.resilience.stack import Stack

LOGIN_FAILURES = 5
BURST_SECONDS = 2.0
WRITERS_PER_INSTANCE = 2


@pytest.fixture(scope="module")
def two_servers(stack: Stack) -> Iterator[tuple[AppServer, AppServer]]:
    """Instances A and B on the same stack for this module (its last test kills A)."""
    first, second = stack.server("instance-a"), stack.server("instance-b")
    try:
        first.start()
        second.start()
        yield first, second
    finally:
        first.kill()
        second.kill()


async def test_a_token_from_one_instance_works_on_the_other(
    stack: Stack, two_servers: tuple[AppServer, AppServer]
) -> None:
    first, second = two_servers
    async with client(first.url) as on_a, client(second.url) as on_b:
        account = await sign_up(stack, on_a)
        headers = await log_in(on_a, account)
        me = await on_b.get("/api/v1/user/me", headers=headers)
        assert me.status_code == 200 and me.json()["email"] == account.email
        assert (await on_b.post("/api/v1/user/logout", headers=headers)).status_code == 204
        assert (await on_a.get("/api/v1/user/me", headers=headers)).status_code == 401


async def test_rate_limits_are_shared(stack: Stack, two_servers: tuple[AppServer, AppServer]) -> None:
    first, second = two_servers
    async with client(first.url) as on_a, client(second.url) as on_b:
        account = await sign_up(stack, on_a)
        for attempt in range(LOGIN_FAILURES):
            http = (on_a, on_b)[attempt % 2]
            wrong = await http.post(
                "/api/v1/user/auth",
                json={"login": account.email, "password": "not the password"},
                headers={"X-Forwarded-For": new_address()},
            )
            assert wrong.status_code == 401, wrong.text
        for http in (on_a, on_b):
            refused = await http.post(
                "/api/v1/user/auth",
                json={"login": account.email, "password": PASSWORD},
                headers={"X-Forwarded-For": new_address()},
            )
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) > 0


async def test_killing_one_instance_loses_no_accepted_write(
    stack: Stack, two_servers: tuple[AppServer, AppServer]
) -> None:
    first, second = two_servers
    async with client(first.url) as on_a, client(second.url) as on_b:
        owner = await sign_up(stack, on_a)
        await log_in(on_a, owner)
        prefix = f"scale-{owner.id[:8]}"
        results: dict[str, str] = {}
        failovers = collections.Counter[str]()

        async def writer(name: str, clients: list[httpx.AsyncClient]) -> None:
            # Keep writing; when the instance is gone, fail over to the next one, as a proxy would.
            sequence = 0
            while not done.is_set() and clients:
                team = f"{prefix}-{name}-{sequence}"
                try:
                    response = await clients[0].post(
                        "/api/v1/team", json={"name": team}, headers=owner.headers
                    )
                except httpx.ConnectError:
                    results[team] = "not sent"
                    clients.pop(0)
                    failovers[name] += 1
                except httpx.HTTPError:
                    results[team] = "cut"
                    clients.pop(0)
                    failovers[name] += 1
                else:
                    results[team] = "ok" if response.status_code == 201 else f"refused {response.status_code}"
                sequence += 1

        done = asyncio.Event()
        writers = [writer(f"a{number}", [on_a, on_b]) for number in range(WRITERS_PER_INSTANCE)]
        writers += [writer(f"b{number}", [on_b]) for number in range(WRITERS_PER_INSTANCE)]
        burst = asyncio.gather(*writers)
        await asyncio.sleep(BURST_SECONDS)
        first.kill()
        await asyncio.sleep(BURST_SECONDS)
        done.set()
        await burst
        listed = await on_b.get("/api/v1/teams", headers=owner.headers)

    print(f"writes by result: {collections.Counter(results.values())}; fail-overs: {dict(failovers)}")
    stored = {row["name"] for row in listed.json()}
    acknowledged = {team for team, result in results.items() if result == "ok"}
    assert acknowledged <= stored, f"lost: {sorted(acknowledged - stored)}"
    never_made = {
        team for team, result in results.items() if result == "not sent" or result.startswith("refused")
    }
    assert not never_made & stored
    assert failovers == {f"a{number}": 1 for number in range(WRITERS_PER_INSTANCE)}, failovers
    assert any(team.startswith(f"{prefix}-a0-") and result == "ok" for team, result in results.items())
