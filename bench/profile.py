"""A py-spy profile of the worker while a figure runs: where its time goes, as text."""

from __future__ import annotations

import asyncio
import collections
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.infra import ROOT

if TYPE_CHECKING:
    from bench.server import AppServer

TOP = 15
SAMPLE_RATE = 250


@dataclass
class Spy:
    """A running `py-spy record` and where it writes."""

    process: asyncio.subprocess.Process | None
    output: Path
    error: str = ""


def start(server: AppServer, key: str, seconds: float) -> asyncio.Task[Spy]:
    """Start py-spy on the first worker for `seconds`; `finish` collects it."""
    return asyncio.create_task(_record(server, key, seconds))


async def _record(server: AppServer, key: str, seconds: float) -> Spy:
    workers = server.sampler.workers() if server.sampler else []
    output = server.log_path.with_name(f"profile-{key}.txt")
    if not workers:
        return Spy(None, output, "no worker process found")
    py_spy = Path(sys.executable).with_name("py-spy")
    process = await asyncio.create_subprocess_exec(
        str(py_spy), "record", "--pid", str(workers[0].pid), "--duration", str(max(1, round(seconds))),
        "--rate", str(SAMPLE_RATE), "--format", "raw", "--nonblocking", "--output", str(output),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(process.communicate(), seconds + 30)
    except TimeoutError:
        process.kill()
        await process.wait()
        return Spy(process, output, "py-spy did not finish")
    return Spy(process, output, "" if process.returncode == 0 else out.decode(errors="replace")[-300:])


async def finish(task: asyncio.Task[Spy]) -> dict[str, Any]:
    """The profile's summary: the hottest functions by own time and by time spent inside them."""
    spy = await task
    if spy.error or not spy.output.exists():
        return {"error": spy.error or "py-spy wrote nothing"}
    return summarize(spy.output)


def summarize(path: Path) -> dict[str, Any]:
    """Read py-spy's collapsed stacks (`frame;frame;frame count`) into the top frames."""
    own: collections.Counter[str] = collections.Counter()
    inside: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inside[frame] += count

    def top(counter: collections.Counter[str]) -> list[dict[str, Any]]:
        return [
            {"frame": frame, "share": round(count / total, 3)} for frame, count in counter.most_common(TOP)
        ]

    app_frames = collections.Counter({frame: count for frame, count in inside.items() if "teamsapp" in frame})
    return {
        "samples": total,
        "file": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "own_time": top(own) if total else [],
        "inside_app_code": top(app_frames) if total else [],
    }
