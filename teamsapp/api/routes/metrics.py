"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

from fastapi import APIRouter, Response

from teamsapp.observability.app_state import refresh_app_state
from teamsapp.observability.metrics import render_metrics

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics() -> Response:
    """Prometheus metrics of the app (every worker's, added up)."""
    await refresh_app_state()
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
