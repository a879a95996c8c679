"""Reflex configuration, derived from the BACKEND_ settings."""

import os
from urllib.parse import urlsplit

import click
import reflex as rx

from teamsapp.core.config import get_settings
from teamsapp.observability.multiprocess import prepare_multiprocess_dir
from teamsapp.ui.appearance import AppearancePlugin

settings = get_settings()
prepare_multiprocess_dir(settings.port)


def _reflex_mode() -> str:
    """The mode of the running `reflex` command: `dev` (hot reload), `prod` or `preview`."""
    # The CLI reads this file before it exports the mode to the environment of its workers, so
    # the command's own `--env` is asked first.
    command = click.get_current_context(silent=True)
    if command is not None and "env" in command.params:
        return str(command.params["env"])
    return os.environ.get("REFLEX_ENV_MODE", "prod")


# `reflex run --env dev` (hot reload) serves the pages from Vite's dev server on BACKEND_PORT and
# the backend (websocket, API) on the next port; production serves both on BACKEND_PORT.
DEV_MODE = _reflex_mode() == "dev"
backend_port = settings.port + 1 if DEV_MODE else settings.port
public = urlsplit(settings.base_url)
api_url = f"{public.scheme}://{public.hostname}:{backend_port}" if DEV_MODE else settings.base_url

config = rx.Config(
    app_name="teamsapp",
    frontend_port=settings.port,
    backend_port=backend_port,
    backend_host=settings.host,
    api_url=api_url,
    deploy_url=settings.base_url,
    redis_url=settings.redis_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=["*"] if settings.is_dev else [settings.base_url],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", radius="medium"),
        ),
        AppearancePlugin(),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
