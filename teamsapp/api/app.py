"""The FastAPI app: REST under /api/v1, docs under /api, metrics at /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from teamsapp.api.docs import OPENAPI_URL, install_docs
from teamsapp.api.edge import install_edge
from teamsapp.api.errors import install_error_handlers
from teamsapp.api.protocol import install_protocol
from teamsapp.api.routes import account, api_tokens, echo, metrics, monitoring
from teamsapp.api.routes import admin as admin_routes
from teamsapp.api.routes import redis as redis_routes
from teamsapp.api.routes import team as team_routes
from teamsapp.api.routes import teams as teams_routes
from teamsapp.api.routes import two_factor as two_factor_routes
from teamsapp.api.routes import user as user_routes
from teamsapp.core.version import app_version
from teamsapp.lifespan import server_lifespan
from teamsapp.observability.middleware import RequestMiddleware


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Runs only when the API is served alone; inside Reflex the same work is a lifespan task.
    async with server_lifespan():
        yield


API_PREFIX = "/api/v1"


def create_api() -> FastAPI:
    """Build the API app."""
    app = FastAPI(
        title="teamsapp",
        summary="Accounts, teams, members and invitations.",
        version=app_version(),
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    # Each router straight on the app: FastAPI matches nested routers level by level, twice per
    # level, so one level less is a cheaper lookup on every request.
    for router in (
        echo.router,
        monitoring.router,
        # Before the user routes: `/user/tokens` must not be read as `/user/{user_id}`.
        api_tokens.router,
        account.router,
        user_routes.router,
        two_factor_routes.router,
        admin_routes.router,
        redis_routes.router,
        team_routes.router,
        teams_routes.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(metrics.router)
    install_docs(app)
    install_error_handlers(app)
    install_protocol(app)
    install_edge(app, inner=True)
    app.add_middleware(RequestMiddleware)
    install_edge(app, inner=False)
    return app
