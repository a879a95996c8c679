"""Prometheus metric objects and the text exposition.

Services import the application counters from here (prometheus_client only, no framework).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)

SIGNUPS = Counter("teamsapp_signups_total", "Accounts created.")
LOGINS = Counter("teamsapp_logins_total", "Log-in attempts by outcome.", ["outcome"])
TOKENS_ISSUED = Counter("teamsapp_tokens_issued_total", "Tokens issued by kind.", ["kind"])
TOKENS_USED = Counter("teamsapp_tokens_used_total", "Single-use tokens consumed by kind.", ["kind"])
MAILS_QUEUED = Counter("teamsapp_mails_queued_total", "Mails written to the outbox by kind.", ["kind"])
MAILS_SENT = Counter("teamsapp_mails_sent_total", "Mails delivered by backend.", ["backend"])
MAILS_FAILED = Counter("teamsapp_mails_failed_total", "Mail delivery attempts that failed.", ["backend"])
INVITATIONS_CREATED = Counter("teamsapp_invitations_created_total", "Invitations created.")
INVITATIONS_ACCEPTED = Counter("teamsapp_invitations_accepted_total", "Invitations accepted.")
RATE_LIMIT_REFUSALS = Counter(
    "teamsapp_rate_limit_refusals_total", "Requests refused by a rate limit, by action.", ["action"]
)


def render_metrics() -> tuple[bytes, str]:
    """The metrics of this process, or of every worker in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
