"""GET /api/v1/teams: the caller's teams (SPEC 5)."""

from __future__ import annotations

from fastapi import APIRouter

from teamsapp.api.deps import SessionDep, TeamsReader
from teamsapp.api.routes.team import team_errors
from teamsapp.teams import service as team_service
from teamsapp.teams.schemas import TeamSummary

router = APIRouter(prefix="/teams", tags=["team"])


@router.get("", responses=team_errors(401))
async def list_teams(session: SessionDep, user: TeamsReader) -> list[TeamSummary]:
    """The caller's teams, by name, with the caller's role in each."""
    return await team_service.list_teams(session, actor=user)
