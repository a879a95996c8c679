"""The home page."""

import reflex as rx

from teamsapp.ui import routes


@rx.page(route=routes.HOME, title="teamsapp")
def home() -> rx.Component:
    """The landing page."""
    return rx.container(
        rx.vstack(
            rx.heading("teamsapp", size="8"),
            rx.text("Teams, members and invitations, in pure Python."),
            rx.link("API documentation", href="/api/docs", is_external=True),
            spacing="4",
            padding_y="4em",
        ),
    )
