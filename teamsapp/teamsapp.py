"""Reflex entry: the app, with the REST API mounted and the shared lifespan."""

import reflex as rx

from teamsapp.api import api
from teamsapp.lifespan import app_lifespan
from teamsapp.ui import pages  # noqa: F401  (registers the pages)

app = rx.App(api_transformer=api)
app.register_lifespan_task(app_lifespan)
