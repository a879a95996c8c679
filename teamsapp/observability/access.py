"""Who may read /metrics: anyone in `dev`; elsewhere only a scraper with `BACKEND_METRICS_TOKEN`.

The metrics show how many accounts, teams and log-ins there are: not for the public. Without a
token set, nobody reads them outside `dev`.
"""

from __future__ import annotations

import secrets

from teamsapp.core.config import get_settings
from teamsapp.core.errors import Unauthorized

SCHEME = "bearer "


def require_scraper(authorization: str | None) -> None:
    """Refuse a scrape (401) that does not carry the metrics token, unless in `dev` without one."""
    settings = get_settings()
    expected = settings.metrics_token
    if not expected:
        if settings.is_dev:
            return
        raise Unauthorized("Metrics are not served: set BACKEND_METRICS_TOKEN to read them.")
    header = authorization or ""
    presented = header[len(SCHEME) :] if header[: len(SCHEME)].lower() == SCHEME else ""
    if not secrets.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("Send `Authorization: Bearer <BACKEND_METRICS_TOKEN>` to read the metrics.")
