"""The home page."""

import reflex as rx

from teamsapp.ui import routes
from teamsapp.ui.components.layout import page
from teamsapp.ui.state.auth import AuthState


@rx.page(route=routes.HOME, title="teamsapp", on_load=AuthState.peek)
def home() -> rx.Component:
    """The landing page."""
    return page(
        "teamsapp",
        rx.text("Teams, members and invitations, in pure Python.", size="4"),
        rx.cond(
            AuthState.logged_in,
            rx.button("Go to your teams", on_click=rx.redirect(routes.TEAMS), size="3"),
            rx.hstack(
                rx.button("Create an account", on_click=rx.redirect(routes.SIGNUP), size="3"),
                rx.button("Log in", on_click=rx.redirect(routes.LOGIN), size="3", variant="soft"),
                spacing="3",
            ),
        ),
        rx.link("API documentation", href="/api/docs", is_external=True),
        width="2",
    )
