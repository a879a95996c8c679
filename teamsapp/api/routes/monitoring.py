"""GET /api/v1/monitoring/health."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from teamsapp.monitoring import service as monitoring_service

router = APIRouter(prefix="/monitoring", tags=["monitoring"])


class HealthPublic(BaseModel):
    status: str
    down: list[str]
    database: str
    redis: str
    migration: str | None
    migration_head: str | None


@router.get("/health", responses={503: {"model": HealthPublic, "description": "A part is down"}})
async def health_check(response: Response) -> HealthPublic:
    """The state of the database, Redis and the migrations; 503 names the parts that are down."""
    health = await monitoring_service.check_health()
    down = health.down
    if down:
        response.status_code = 503
    return HealthPublic(
        status="down" if down else "ok",
        down=down,
        database=health.database,
        redis=health.redis,
        migration=health.migration,
        migration_head=health.migration_head,
    )
