"""Reflex entry: the app, with the REST API mounted and the shared lifespan."""

import reflex as rx

from teamsapp.api import api
from teamsapp.lifespan import app_lifespan
from teamsapp.observability import reflex_events
from teamsapp.ui import (
    account_live,
    cookie_routes,
    live,
    pages,  # noqa: F401  (registers the pages)
)
from teamsapp.ui.appearance import first_paint_script

# The UI's session-cookie routes live on the same backend; they are not part of the REST API.
api.include_router(cookie_routes.router)

app = rx.App(
    api_transformer=api,
    head_components=[first_paint_script()],
    stylesheets=["/teamsapp.css"],
    # Plain toasts: sonner's "rich colours" put green text on pale green below the AA contrast ratio.
    toaster=rx.toast.provider(rich_colors=False, close_button=True),
)
app.register_lifespan_task(app_lifespan)
app.register_lifespan_task(live.live_updates)
app.register_lifespan_task(account_live.account_updates)
reflex_events.install(app)
