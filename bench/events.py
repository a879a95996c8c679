"""Reflex event round trips over the websocket, as browser tabs make them.

A Socket.IO client on `/_event` opens with the page's `hydrate_and_load` event (as the Reflex
frontend does in its CONNECT packet), then sends events and times each until the state update that
answers it comes back.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

import socketio

NAMESPACE = "/_event"
STATE = "reflex___state____state"
HYDRATE_EVENT = f"{STATE}.hydrate_and_load"
# Navigating to a page: the page's on_load handlers run and the hydrated flag comes back.
ON_LOAD_EVENT = f"{STATE}.reflex___state____on_load_internal_state.on_load_internal"
# Typing in the log-in form: the field is checked as the user types (FormMixin.check). An event
# that changes nothing gets no answer, so the value alternates between invalid and valid.
LOGIN_STATE = f"{STATE}.teamsapp___ui___pages___login____login_state"
CHECK_PAYLOADS = ({"name": "login", "value": ""}, {"name": "login", "value": "bench_me"})
ANSWER_TIMEOUT_SECONDS = 10
QUIET_SECONDS = 0.5


@dataclass
class RoundTrip:
    """One event kind to send: its name, the payloads it cycles through, the page it is sent from."""

    name: str
    payloads: tuple[dict[str, Any], ...]
    path: str
    answered_by: str
    why: str = ""


async def choose_round_trip(base_url: str, path: str) -> RoundTrip:
    """The log-in form's as-you-type check if the page has it, else the page's on_load chain."""
    on_load = RoundTrip(
        ON_LOAD_EVENT, ({},), path, STATE, f"no log-in form on {path}: the page's on_load chain"
    )
    probe = Session(base_url, on_load)
    await probe.open()
    await probe.close()
    if LOGIN_STATE in probe.states:
        why = "the log-in form's as-you-type check"
        return RoundTrip(f"{LOGIN_STATE}.check", CHECK_PAYLOADS, path, LOGIN_STATE, why)
    return on_load


class Session:
    """One browser session over Socket.IO: a client token, the hydrate, then timed events."""

    def __init__(self, base_url: str, trip: RoundTrip) -> None:
        self.base_url = base_url
        self.trip = trip
        self.client = socketio.AsyncClient(reconnection=False)
        self.answers: asyncio.Queue[tuple[float, frozenset[str]]] = asyncio.Queue()
        self.states: set[str] = set()
        self.sent = 0
        self.client.on("event", self._on_event, namespace=NAMESPACE)

    async def _on_event(self, update: Any) -> None:
        delta = update.get("delta") if isinstance(update, dict) else None
        changed = frozenset(delta) if isinstance(delta, dict) else frozenset()
        self.states.update(changed)
        await self.answers.put((time.perf_counter(), changed))

    @property
    def router_data(self) -> dict[str, str]:
        """What the frontend sends with every event: the page it is on."""
        return {"pathname": self.trip.path, "asPath": self.trip.path}

    async def open(self) -> None:
        """Connect as the page does and wait for the state of the page."""
        hydrate = {"name": HYDRATE_EVENT, "payload": {}, "router_data": self.router_data}
        await self.client.connect(
            f"{self.base_url}?token={uuid.uuid4()}",
            headers={"Origin": self.base_url},
            transports=["websocket"],
            socketio_path=NAMESPACE,
            namespaces=[NAMESPACE],
            auth={"event": hydrate},
            wait_timeout=ANSWER_TIMEOUT_SECONDS,
        )
        await asyncio.wait_for(self.answers.get(), ANSWER_TIMEOUT_SECONDS)
        # The hydrate answers in several updates (state, then the page's on_load chain): let them end.
        while True:
            try:
                await asyncio.wait_for(self.answers.get(), QUIET_SECONDS)
            except TimeoutError:
                return

    async def round_trip(self) -> float:
        """Send one event; the milliseconds until its state update arrives."""
        payload = self.trip.payloads[self.sent % len(self.trip.payloads)]
        self.sent += 1
        event = {"name": self.trip.name, "payload": payload, "router_data": self.router_data}
        started = time.perf_counter()
        await self.client.emit("event", event, namespace=NAMESPACE)
        async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
            while True:
                answered, changed = await self.answers.get()
                # Anything else (a late update of an earlier event) is not this event's answer.
                if answered >= started and self.trip.answered_by in changed:
                    return (answered - started) * 1000

    async def close(self) -> None:
        """Leave, as a closed tab does."""
        await self.client.disconnect()


async def round_trips(
    base_url: str, trip: RoundTrip, *, sessions: int, seconds: float, think_seconds: float
) -> dict[str, Any]:
    """`sessions` sessions, each sending an event, waiting for it, pausing about `think_seconds`."""
    clients = [Session(base_url, trip) for _ in range(sessions)]
    opened = await asyncio.gather(*(client.open() for client in clients), return_exceptions=True)
    failures = [str(error) for error in opened if isinstance(error, BaseException)]
    live = [
        client for client, error in zip(clients, opened, strict=True) if not isinstance(error, BaseException)
    ]
    timings: list[float] = []
    errors = len(failures)
    deadline = time.monotonic() + seconds

    async def drive(client: Session) -> None:
        nonlocal errors
        # Sessions start spread over one think time, as people do, not in lock step.
        await asyncio.sleep(random.uniform(0, think_seconds))
        while time.monotonic() < deadline:
            try:
                timings.append(await client.round_trip())
            except (TimeoutError, socketio.exceptions.SocketIOError):
                errors += 1
                return
            if think_seconds:
                await asyncio.sleep(random.uniform(0.5, 1.5) * think_seconds)

    started = time.monotonic()
    try:
        await asyncio.gather(*(drive(client) for client in live))
    finally:
        elapsed = time.monotonic() - started
        await asyncio.gather(*(client.close() for client in live), return_exceptions=True)
    return {
        "sessions": sessions,
        "think_s": think_seconds,
        "events": len(timings),
        "events_per_s": round(len(timings) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": _percentile(timings, 50),
        "p99_ms": _percentile(timings, 99),
        "max_ms": round(max(timings), 2) if timings else None,
        "errors": errors,
        "error_samples": failures[:3],
    }


def median_of(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """The repeats of one load in one summary: medians of the rates and percentiles, sums of counts."""

    def median(key: str) -> float | None:
        values = [run[key] for run in repeats if run[key] is not None]
        return round(statistics.median(values), 2) if values else None

    return {
        "sessions": repeats[0]["sessions"],
        "think_s": repeats[0]["think_s"],
        "events": sum(run["events"] for run in repeats),
        "events_per_s": median("events_per_s"),
        "p50_ms": median("p50_ms"),
        "p99_ms": median("p99_ms"),
        "max_ms": max((run["max_ms"] for run in repeats if run["max_ms"] is not None), default=None),
        "errors": sum(run["errors"] for run in repeats),
        "error_samples": [sample for run in repeats for sample in run["error_samples"]][:3],
        "repeats": repeats,
    }


def _percentile(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index], 2)
