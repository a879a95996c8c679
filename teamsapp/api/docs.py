"""Swagger UI and ReDoc served from files in the repository (no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static" / "docs"
STATIC_URL = "/api/static/docs"
OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"
OAUTH2_REDIRECT_URL = "/api/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


@router.get(DOCS_URL)
async def swagger_ui() -> HTMLResponse:
    """Swagger UI."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="teamsapp API",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
        swagger_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    """The OAuth2 redirect page of Swagger UI."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/api/redoc")
async def redoc() -> HTMLResponse:
    """ReDoc."""
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title="teamsapp API",
        redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
        with_google_fonts=False,
    )


@router.get("/api/v1/docs")
async def docs_redirect() -> RedirectResponse:
    """The original template's docs address, kept as a redirect."""
    return RedirectResponse(DOCS_URL)


def install_docs(app: FastAPI) -> None:
    """Mount the docs pages and their static files."""
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="docs-static")
