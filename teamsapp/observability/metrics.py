"""Prometheus metric objects and the text exposition.

Services import the application counters from here (prometheus_client only, no framework).
With `PROMETHEUS_MULTIPROC_DIR` set before prometheus_client is imported (the production server
does it, see `multiprocess.py`), every worker writes its values to files there and a scrape,
answered by any worker, adds them up.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from teamsapp.observability.multiprocess import process_exists

# The `_created` series double the series count and no dashboard or alert here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROCESS = values.ValueClass is not values.MutexValue
"""Whether values live in files shared by the workers (decided when prometheus_client loaded)."""

SIGNUPS = Counter(
    "teamsapp_signups_total", "Sign-ups answered 201 (a taken address counts as the answer looks the same)."
)
LOGINS = Counter("teamsapp_logins_total", "Log-in attempts by outcome.", ["outcome"])
TOKENS_ISSUED = Counter(
    "teamsapp_tokens_issued_total",
    "Access and refresh tokens issued (mailed tokens are not counted).",
    ["kind"],
)
ACCESS_CHECKS = Counter(
    "teamsapp_access_checks_total",
    "Access checks of authenticated requests by where they were answered.",
    ["source"],
)
TOKENS_USED = Counter("teamsapp_tokens_used_total", "Single-use tokens consumed by kind.", ["kind"])
MAILS_QUEUED = Counter(
    "teamsapp_mails_queued_total",
    "Mails written to the outbox by kind, except answers to neutral requests (verify, reset, email change).",
    ["kind"],
)
MAILS_SENT = Counter(
    "teamsapp_mails_sent_total",
    "Mails delivered by backend, except answers to neutral requests.",
    ["backend"],
)
MAILS_FAILED = Counter(
    "teamsapp_mails_failed_total",
    "Mail delivery attempts that failed, except answers to neutral requests.",
    ["backend"],
)
INVITATIONS_CREATED = Counter("teamsapp_invitations_created_total", "Invitations created.")
INVITATIONS_ACCEPTED = Counter("teamsapp_invitations_accepted_total", "Invitations accepted.")
RATE_LIMIT_REFUSALS = Counter(
    "teamsapp_rate_limit_refusals_total", "Requests refused by a rate limit, by action.", ["action"]
)

HTTP_REQUESTS = Counter(
    "teamsapp_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "teamsapp_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
)
HTTP_REQUESTS_IN_PROGRESS = Gauge(
    "teamsapp_http_requests_in_progress",
    "HTTP requests being answered now, by method.",
    ["method"],
    multiprocess_mode="livesum",
)

REFLEX_EVENTS = Counter(
    "teamsapp_reflex_events_total", "Reflex events handled, by state and handler.", ["state", "handler"]
)
REFLEX_EVENT_ERRORS = Counter(
    "teamsapp_reflex_event_errors_total",
    "Reflex events whose handler raised, by state and handler.",
    ["state", "handler"],
)
REFLEX_EVENT_DURATION = Histogram(
    "teamsapp_reflex_event_duration_seconds",
    "Time to run a Reflex event handler, by state and handler.",
    ["state", "handler"],
)
REFLEX_CONNECTED_SESSIONS = Gauge(
    "teamsapp_reflex_connected_sessions",
    "Browser tabs connected to the Reflex backend.",
    multiprocess_mode="livesum",
)
WORKERS = Gauge("teamsapp_workers", "Server worker processes running.", multiprocess_mode="livesum")


@dataclasses.dataclass(frozen=True)
class AppState:
    """Counts read from the database, shown as gauges."""

    users: int
    teams: int
    memberships: int
    outbox_depth: int
    outbox_failed: int
    outbox_oldest_pending_age_seconds: float


class AppStateCollector(Collector):
    """Gauges of the last `AppState` read; none while the database could not be read.

    The counts are the same for every worker, so they are collected at scrape time and never
    written to the per-worker files (which would add them up once per worker).
    """

    def __init__(self) -> None:
        self.state: AppState | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The gauges of the last snapshot."""
        state = self.state
        if state is None:
            return
        yield GaugeMetricFamily("teamsapp_users", "User accounts.", value=state.users)
        yield GaugeMetricFamily("teamsapp_teams", "Teams.", value=state.teams)
        yield GaugeMetricFamily("teamsapp_team_members", "Team memberships.", value=state.memberships)
        yield GaugeMetricFamily(
            "teamsapp_outbox_depth", "Mails waiting in the outbox for delivery.", value=state.outbox_depth
        )
        yield GaugeMetricFamily(
            "teamsapp_outbox_failed_mails", "Mails the sender gave up on.", value=state.outbox_failed
        )
        yield GaugeMetricFamily(
            "teamsapp_outbox_oldest_pending_age_seconds",
            "Age of the oldest mail waiting for delivery (0 when none waits).",
            value=state.outbox_oldest_pending_age_seconds,
        )


APP_STATE = AppStateCollector()
if not MULTIPROCESS:
    REGISTRY.register(APP_STATE)

_LIVE_GAUGE_FILE = re.compile(r"^gauge_live[a-z]+_(\d+)\.db$")


def reap_dead_processes(path: str) -> None:
    """Drop the live gauges of workers that died without cleaning up (their counters stay)."""
    for name in os.listdir(path):
        match = _LIVE_GAUGE_FILE.match(name)
        if match and not process_exists(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), path)  # type: ignore[no-untyped-call]


def forget_this_process() -> None:
    """At a worker's shut-down: its live gauges (requests in progress, sessions) leave the sums."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if MULTIPROCESS and path:
        multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


def render_metrics() -> tuple[bytes, str]:
    """The metrics of this process, or of every worker in multiprocess mode."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if MULTIPROCESS and path:
        reap_dead_processes(path)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
        registry.register(APP_STATE)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
