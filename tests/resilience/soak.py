"""The soak: one app worker under mixed traffic for ten minutes, on a private stack.

    python -m tests.resilience.soak                 # 10 minutes (`make soak`)
    python -m tests.resilience.soak --seconds 60    # a short smoke run

Passes when no request errs (a 5xx, a transport error or an unexpected status), the server's memory
grows by at most 10% from the warmed-up start to the end, and its PostgreSQL connections and open
file descriptors stay flat. Writes the samples and the verdict as JSON, and the curves as a PNG,
under soak/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import datetime as dt
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests import services
from tests.resilience.clients import PASSWORD, Account, log_in, sign_up
from tests.resilience.processes import ROOT, AppServer
from tests.resilience.stack import Stack

RESULTS = ROOT / "soak" / "results"
USERS = 6
SAMPLE_SECONDS = 5.0
PAUSE_SECONDS = 0.02
MEMORY_GROWTH_MAX = 0.10
# Connections and descriptors may wobble by a few (a pool connection replaced, a socket in TIME_WAIT).
FLAT_SLACK = 3
TEAMS_KEPT = 3


@dataclasses.dataclass
class Tally:
    """Requests answered and errors, per operation, since the last sample."""

    requests: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    latencies: list[float] = dataclasses.field(default_factory=list)
    examples: list[str] = dataclasses.field(default_factory=list)


class Traffic:
    """Virtual users walking through accounts, teams, invitations and roles, each paced a little."""

    def __init__(self, stack: Stack, http: httpx.AsyncClient) -> None:
        self.stack = stack
        self.http = http
        self.tally = Tally()
        self.total = collections.Counter[str]()
        self.total_errors = collections.Counter[str]()
        self._stop = asyncio.Event()

    async def call(
        self, operation: str, method: str, url: str, expected: int, **kwargs: Any
    ) -> httpx.Response | None:
        """One request; anything but the expected status counts as an error."""
        started = time.monotonic()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self._record(operation, started, f"{operation}: {error.__class__.__name__}")
            return None
        problem = (
            None
            if response.status_code == expected
            else f"{operation}: {response.status_code} {response.text[:200]}"
        )
        self._record(operation, started, problem)
        return response if problem is None else None

    def _record(self, operation: str, started: float, problem: str | None) -> None:
        self.tally.requests[operation] += 1
        self.tally.latencies.append(time.monotonic() - started)
        self.total[operation] += 1
        if problem is not None:
            self.tally.errors[operation] += 1
            self.total_errors[operation] += 1
            if len(self.tally.examples) < 5:
                self.tally.examples.append(problem)

    def take_tally(self) -> Tally:
        """The counts since the last call."""
        tally, self.tally = self.tally, Tally()
        return tally

    async def user(self, owner: Account, partner: Account) -> None:
        """One virtual user: its own teams, with its partner invited, promoted and removed in each."""
        refresh = await self._refresh_token(owner)
        teams: list[str] = []
        iteration = 0
        while not self._stop.is_set():
            iteration += 1
            await self.call("me", "GET", "/api/v1/user/me", 200, headers=owner.headers)
            await self.call("teams", "GET", "/api/v1/teams", 200, headers=owner.headers)
            created = await self.call(
                "create team",
                "POST",
                "/api/v1/team",
                201,
                json={"name": f"Soak {iteration}"},
                headers=owner.headers,
            )
            if created is not None:
                teams.append(created.json()["id"])
                await self._membership_round(owner, partner, teams[-1], iteration)
            while len(teams) > TEAMS_KEPT:
                await self.call(
                    "delete team", "DELETE", f"/api/v1/team/{teams.pop(0)}", 204, headers=owner.headers
                )
            if iteration % 10 == 0:
                refresh = await self._refresh(owner, refresh)
            if iteration % 15 == 0:
                await self._session_round(owner)
            if iteration % 20 == 0:
                await self._sign_up()
            if iteration % 25 == 0:
                await self.call("health", "GET", "/api/v1/monitoring/health", 200)
                await self.call("metrics", "GET", "/metrics", 200, headers=services.metrics_headers())
            await asyncio.sleep(PAUSE_SECONDS)

    async def _membership_round(self, owner: Account, partner: Account, team_id: str, iteration: int) -> None:
        headers = owner.headers
        await self.call(
            "settings",
            "PUT",
            f"/api/v1/team/{team_id}/settings",
            200,
            json={"description": f"v{iteration}"},
            headers=headers,
        )
        invitation = await self.call(
            "invite",
            "POST",
            "/api/v1/team/invitation",
            201,
            json={"team_id": team_id, "role": "member"},
            headers=headers,
        )
        if invitation is None:
            return
        token = invitation.json()["link"].rpartition("token=")[2]
        accepted = await self.call(
            "accept",
            "POST",
            "/api/v1/team/invitation/accept",
            200,
            json={"token": token},
            headers=partner.headers,
        )
        if accepted is None:
            return
        member_url = f"/api/v1/team/{team_id}/user/{partner.id}"
        await self.call("role", "PUT", member_url, 200, json={"role": "admin"}, headers=headers)
        await self.call("team", "GET", f"/api/v1/team/{team_id}", 200, headers=partner.headers)
        await self.call("audit", "GET", f"/api/v1/team/{team_id}/audit", 200, headers=headers)
        await self.call("remove", "DELETE", member_url, 204, headers=headers)

    async def _refresh_token(self, account: Account) -> str:
        response = await self.http.post(
            "/api/v1/user/auth",
            json={"login": account.email, "password": PASSWORD},
            headers={"X-Forwarded-For": account.address},
        )
        response.raise_for_status()
        account.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        token: str = response.json()["refresh_token"]
        return token

    async def _refresh(self, account: Account, refresh_token: str) -> str:
        response = await self.call(
            "refresh", "POST", "/api/v1/user/auth/refresh", 200, json={"refresh_token": refresh_token}
        )
        if response is None:
            return await self._refresh_token(account)
        account.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        token: str = response.json()["refresh_token"]
        return token

    async def _session_round(self, account: Account) -> None:
        response = await self.call(
            "log in",
            "POST",
            "/api/v1/user/auth",
            200,
            json={"login": account.email, "password": PASSWORD},
            headers={"X-Forwarded-For": account.address},
        )
        if response is not None:
            headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
            await self.call("sessions", "GET", "/api/v1/user/sessions", 200, headers=headers)
            await self.call("log out", "POST", "/api/v1/user/logout", 204, headers=headers)

    async def _sign_up(self) -> None:
        suffix = secrets.token_hex(5)
        body = {
            "email": f"s-{suffix}@example.com",
            "username": f"s_{suffix}",
            "full_name": "Soak",
            "password": PASSWORD,
        }
        await self.call("sign up", "POST", "/api/v1/user", 201, json=body)

    def stop(self) -> None:
        """Let every virtual user finish its round and end."""
        self._stop.set()


def _proc(pid: int) -> tuple[int, int]:
    rss_kib = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kib = int(line.split()[1])
    return rss_kib * 1024, len(os.listdir(f"/proc/{pid}/fd"))


def _connections(stack: Stack) -> int:
    rows = stack.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'teamsapp' AND pid <> pg_backend_pid()"
    )
    return int(rows[0][0])


def _sample(stack: Stack, server: AppServer, traffic: Traffic, started: float) -> dict[str, Any]:
    rss, fds = _proc(server.pid)
    tally = traffic.take_tally()
    latencies = sorted(tally.latencies)
    return {
        "t": round(time.monotonic() - started, 1),
        "rss_mib": round(rss / 2**20, 2),
        "fds": fds,
        "pg_connections": _connections(stack),
        "requests": sum(tally.requests.values()),
        "errors": sum(tally.errors.values()),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "error_examples": tally.examples,
    }


def verdict(samples: list[dict[str, Any]], total_errors: int) -> dict[str, Any]:
    """The pass/fail figures: errors, memory growth, connections and descriptors flat.

    The first fifth of the run is warm-up (imports, pools and caches filling); the baseline is the
    next fifth, compared with the last fifth.
    """
    fifth = max(len(samples) // 5, 1)
    baseline, end = samples[fifth : 2 * fifth] or samples[:1], samples[-fifth:]

    def mean(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.fmean(row[key] for row in rows)

    growth = mean(end, "rss_mib") / mean(baseline, "rss_mib") - 1
    figures = {
        "errors": total_errors,
        "rss_baseline_mib": round(mean(baseline, "rss_mib"), 1),
        "rss_end_mib": round(mean(end, "rss_mib"), 1),
        "memory_growth": round(growth, 4),
        "pg_connections_baseline_max": max(row["pg_connections"] for row in baseline),
        "pg_connections_end_max": max(row["pg_connections"] for row in end),
        "fds_baseline_max": max(row["fds"] for row in baseline),
        "fds_end_max": max(row["fds"] for row in end),
    }
    figures["passed"] = (
        total_errors == 0
        and growth <= MEMORY_GROWTH_MAX
        and figures["pg_connections_end_max"] <= figures["pg_connections_baseline_max"] + FLAT_SLACK
        and figures["fds_end_max"] <= figures["fds_baseline_max"] + FLAT_SLACK
    )
    return figures


def _plot(samples: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [row["t"] / 60 for row in samples]
    figure, axes = plt.subplots(4, 1, figsize=(7, 8), sharex=True)
    series = [
        ("rss_mib", "server RSS (MiB)"),
        ("pg_connections", "PostgreSQL connections"),
        ("fds", "open file descriptors"),
        ("requests", f"requests per {SAMPLE_SECONDS:.0f} s"),
    ]
    for axis, (key, label) in zip(axes, series, strict=True):
        axis.plot(minutes, [row[key] for row in samples])
        axis.set_ylabel(label, fontsize=8)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
    axes[-1].set_xlabel("minutes")
    figure.suptitle("teamsapp soak: one uvicorn worker, mixed traffic", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


async def soak(stack: Stack, server: AppServer, *, seconds: float, out_dir: Path) -> dict[str, Any]:
    """Drive the traffic for `seconds`, sampling the server; write and return the results."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        pairs = []
        for _ in range(USERS):
            owner, partner = await sign_up(stack, http), await sign_up(stack, http)
            await log_in(http, partner)
            pairs.append((owner, partner))
        traffic = Traffic(stack, http)
        started = time.monotonic()
        users = asyncio.gather(*(traffic.user(owner, partner) for owner, partner in pairs))
        samples = []
        while time.monotonic() - started < seconds:
            await asyncio.sleep(SAMPLE_SECONDS)
            samples.append(await asyncio.to_thread(_sample, stack, server, traffic, started))
        traffic.stop()
        await users
    figures = verdict(samples, sum(traffic.total_errors.values()))
    result = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
        "virtual_users": USERS,
        "requests": dict(traffic.total),
        "errors": dict(traffic.total_errors),
        "verdict": figures,
        "samples": samples,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"soak-{stamp}.json").write_text(json.dumps(result, indent=1))
    _plot(samples, out_dir / f"soak-{stamp}.png")
    return result


def _table(result: dict[str, Any]) -> str:
    lines = ["  min   RSS MiB  PG conns  fds  requests  errors  p95 ms"]
    for row in result["samples"][:: max(len(result["samples"]) // 20, 1)]:
        lines.append(
            f"{row['t'] / 60:5.1f}  {row['rss_mib']:8.1f}  {row['pg_connections']:8d}  {row['fds']:3d}"
            f"  {row['requests']:8d}  {row['errors']:6d}  {row['p95_ms'] or 0:6.1f}"
        )
    return "\n".join(lines)


def main() -> int:
    """Start a private stack and one app worker, soak it, print the curves and the verdict."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.resilience.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=600, help="how long to drive traffic (default 600)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON and the PNG")
    args = parser.parse_args()
    os.environ.update(
        {
            "BACKEND_ENVIRONMENT": "test",
            "BACKEND_SECRET_KEY": secrets.token_urlsafe(48),
            "BACKEND_BCRYPT_ROUNDS": "4",
            "BACKEND_LOG_LEVEL": "WARNING",
            "BACKEND_METRICS_TOKEN": secrets.token_urlsafe(32),
        }
    )
    with tempfile.TemporaryDirectory(prefix="teamsapp-soak-") as path:
        stack = Stack(Path(path))
        try:
            stack.start()
            server = stack.server("soak")
            server.start()
            result = asyncio.run(soak(stack, server, seconds=args.seconds, out_dir=args.out))
        finally:
            stack.stop()
    print(_table(result))
    print(json.dumps({"requests": sum(result["requests"].values()), **result["verdict"]}, indent=1))
    if result["errors"]:
        print(
            "errors:",
            result["errors"],
            [row["error_examples"] for row in result["samples"] if row["errors"]][:3],
        )
    return 0 if result["verdict"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
