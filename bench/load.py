"""HTTP load with wrk: fixed connections and duration, a warm-up, repeats, medians."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA_SCRIPT = Path(__file__).with_name("lua") / "load.lua"
# wrk gets a little longer than its duration to connect and report; past this it is killed.
WRK_GRACE_SECONDS = 30


@dataclass(frozen=True)
class Request:
    """What one wrk run sends: `{n}` in the body is a counter, `{u}` the counter modulo `users`."""

    method: str
    path: str
    token: str = ""
    body: str = ""
    users: int = 1


@dataclass
class Run:
    """One wrk run's figures."""

    req_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    statuses: dict[str, int]
    samples: dict[str, str]
    socket_errors: dict[str, int]
    worker_rss_mb: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The run as JSON-ready values."""
        return self.__dict__.copy()


async def wrk(
    base_url: str, request: Request, *, connections: int, seconds: float, timeout_s: float, threads: int = 1
) -> Run:
    """Run wrk once against `base_url + request.path` and read the JSON its Lua script writes."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        out = Path(scratch) / "result.json"
        env = {
            **os.environ,
            "BENCH_METHOD": request.method,
            "BENCH_TOKEN": request.token,
            "BENCH_BODY": request.body,
            "BENCH_USERS": str(request.users),
            "BENCH_OUT": str(out),
        }
        command = [
            "wrk",
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={max(1, round(timeout_s))}s",
            f"--script={LUA_SCRIPT}",
            base_url + request.path,
        ]
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), seconds + WRK_GRACE_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        if process.returncode != 0 or not out.exists():
            raise RuntimeError(f"wrk failed ({process.returncode}): {output.decode(errors='replace')[-500:]}")
        return parse(json.loads(out.read_text()))


def parse(raw: dict[str, Any]) -> Run:
    """Turn the Lua script's JSON into a `Run` (microseconds to milliseconds)."""
    latency = raw["latency_us"]
    errors = raw["errors"]
    statuses = {str(code): count for code, count in raw["statuses"].items()}
    bad_status = sum(count for code, count in statuses.items() if not code.startswith("2"))
    socket_errors = {name: errors[name] for name in ("connect", "read", "write", "timeout")}
    seconds = raw["duration_us"] / 1e6
    answered = sum(count for code, count in statuses.items() if code.startswith("2"))
    return Run(
        # Only answers that did the work count: a fast 429 or 500 is an error, not throughput.
        req_per_s=answered / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        requests=raw["requests"],
        errors=bad_status + sum(socket_errors.values()),
        statuses=statuses,
        samples=raw["samples"],
        socket_errors=socket_errors,
    )


def median_of(runs: list[Run]) -> dict[str, float]:
    """The median of each figure over the repeats."""
    return {
        "req_per_s": statistics.median(run.req_per_s for run in runs),
        "p50_ms": statistics.median(run.p50_ms for run in runs),
        "p90_ms": statistics.median(run.p90_ms for run in runs),
        "p99_ms": statistics.median(run.p99_ms for run in runs),
        "max_ms": max(run.max_ms for run in runs),
    }
