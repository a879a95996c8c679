"""Health of the app: GET /api/v1/monitoring/health, /live and /ready."""

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


class ProbePublic(BaseModel):
    status: str
    down: list[str] = []


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


@router.get("/live")
async def liveness() -> ProbePublic:
    """200 while the process answers; it checks nothing else, so an outage never restarts the app."""
    return ProbePublic(status="ok")


@router.get("/ready", responses={503: {"model": ProbePublic, "description": "A part is down"}})
async def readiness(response: Response) -> ProbePublic:
    """200 when the database, Redis and the schema are ready for traffic; 503 names what is not."""
    down = (await monitoring_service.check_health()).down
    if down:
        response.status_code = 503
    return ProbePublic(status="down" if down else "ok", down=down)
