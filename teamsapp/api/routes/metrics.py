"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from teamsapp.api.errors import errors
from teamsapp.observability.access import require_scraper
from teamsapp.observability.app_state import refresh_app_state
from teamsapp.observability.metrics import render_metrics

router = APIRouter(tags=["monitoring"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, **errors(401, e401="No or a wrong metrics token")},
)
async def metrics(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> Response:
    """Prometheus metrics of all workers; outside `dev` send `Bearer $BACKEND_METRICS_TOKEN`."""
    require_scraper(authorization)
    await refresh_app_state()
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
