"""Reflex configuration, derived from the BACKEND_ settings."""

import reflex as rx

from teamsapp.core.config import get_settings
from teamsapp.observability.multiprocess import prepare_multiprocess_dir
from teamsapp.ui.appearance import AppearancePlugin

settings = get_settings()
prepare_multiprocess_dir(settings.port)

config = rx.Config(
    app_name="teamsapp",
    frontend_port=settings.port,
    backend_port=settings.port,
    backend_host=settings.host,
    api_url=settings.base_url,
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
