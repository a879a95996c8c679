"""PostgreSQL restarted under load: the app answers 503 at once while it is down, serves every
request again as soon as it is back (no app restart), and leaves no half-written change.
"""

from __future__ import annotations

import asyncio
import collections

import httpx

from tests.resilience.clients import Account, Outcome, client, log_in, sign_up, timed
from tests.resilience.processes import AppServer
from tests.resilience.stack import Stack

WORKERS = 4
SECONDS_PER_PHASE = 2.5


class Load:
    """Workers creating teams and listing them until told to stop; each request keeps its phase."""

    def __init__(self, http: httpx.AsyncClient, owner: Account) -> None:
        self.http = http
        self.owner = owner
        self.phase = "before"
        self.writes: list[tuple[Outcome, str]] = []
        self.reads: list[Outcome] = []
        self._stop = asyncio.Event()

    async def _worker(self, number: int) -> None:
        sequence = 0
        while not self._stop.is_set():
            name = f"pg-{self.owner.id[:8]}-{number}-{sequence}"
            sequence += 1
            call = self.http.post("/api/v1/team", json={"name": name}, headers=self.owner.headers)
            self.writes.append(((await timed(self.phase, call))[0], name))
            listing = self.http.get("/api/v1/teams", headers=self.owner.headers)
            self.reads.append((await timed(self.phase, listing))[0])
            await asyncio.sleep(0.02)

    async def run_until_stopped(self) -> None:
        """Run the workers until `stop`."""
        await asyncio.gather(*(self._worker(number) for number in range(WORKERS)))

    def stop(self) -> None:
        """Let the workers finish their current request and end."""
        self._stop.set()

    def by_phase(self) -> dict[str, collections.Counter[str]]:
        """Per phase, how many requests ended with each status (or transport error)."""
        tally: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for outcome in [write for write, _ in self.writes] + self.reads:
            tally[outcome.label][str(outcome.status or outcome.error)] += 1
        return dict(tally)


async def test_postgres_restart_mid_load(stack: Stack, app_server: AppServer) -> None:
    async with client(app_server.url) as http:
        owner = await sign_up(stack, http)
        await log_in(http, owner)
        load = Load(http, owner)
        running = asyncio.create_task(load.run_until_stopped())
        await asyncio.sleep(SECONDS_PER_PHASE)
        load.phase = "stopping"
        await asyncio.to_thread(stack.postgres.stop)
        load.phase = "down"
        await asyncio.sleep(SECONDS_PER_PHASE)
        health = await http.get("/api/v1/monitoring/health")
        load.phase = "starting"
        await asyncio.to_thread(stack.postgres.start)
        load.phase = "after"
        await asyncio.sleep(SECONDS_PER_PHASE)
        load.stop()
        await running

    tally = load.by_phase()
    print(f"requests by phase and status: {tally}")
    assert health.status_code == 503 and "database" in health.json()["down"], health.text
    every = [write for write, _ in load.writes] + load.reads
    assert all(outcome.status in {200, 201, 503} for outcome in every), tally
    assert tally["down"] and set(tally["down"]) == {"503"}, tally
    assert tally["after"] and set(tally["after"]) <= {"200", "201"}, tally

    stored = {
        name for (name,) in stack.query("SELECT name FROM team WHERE name LIKE %s", f"pg-{owner.id[:8]}-%")
    }
    acknowledged = {name for outcome, name in load.writes if outcome.ok}
    refused = {name for outcome, name in load.writes if not outcome.ok}
    print(f"writes: {len(acknowledged)} acknowledged, {len(refused)} refused with 503, {len(stored)} stored")
    assert acknowledged <= stored, f"lost acknowledged writes: {sorted(acknowledged - stored)}"
    assert not refused & stored, f"refused writes stored anyway: {sorted(refused & stored)}"
    half_written = stack.query(
        "SELECT t.name FROM team t WHERE t.name LIKE %s AND NOT EXISTS "
        "(SELECT 1 FROM membership m WHERE m.team_id = t.id AND m.role = 'owner')",
        f"pg-{owner.id[:8]}-%",
    )
    assert not half_written, f"teams without their owner: {half_written}"
