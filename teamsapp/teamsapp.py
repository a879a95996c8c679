"""Reflex entry: the app, with the REST API mounted and the shared lifespan."""

import reflex as rx
from reflex_base.registry import RegistrationContext

from teamsapp.api import api
from teamsapp.lifespan import server_lifespan
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


def _add_decorated_pages(app: rx.App) -> None:
    """Add the `@rx.page` pages to the app once."""
    # Reflex adds decorated pages at every compile, and `reflex run --env prod` compiles in its own
    # process and again in each worker it forks: every page then came twice ("Page ... is being
    # redefined"). Added here and taken off the list, they are added once.
    decorated = RegistrationContext.ensure_context().decorated_pages
    for render, options in decorated:
        app.add_page(render, **options)
    decorated.clear()


_add_decorated_pages(app)
app.register_lifespan_task(server_lifespan)
app.register_lifespan_task(live.live_updates)
app.register_lifespan_task(account_live.account_updates)
reflex_events.install(app)
