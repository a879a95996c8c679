"""The page for any address the app does not know."""

from __future__ import annotations

import reflex as rx

from teamsapp.ui import routes
from teamsapp.ui.components.layout import page
from teamsapp.ui.state.auth import AuthState


def not_found_body() -> rx.Component:
    """What the not-found page says (also shown by pages a visitor may not see, such as /admin)."""
    return rx.fragment(
        rx.text("There is nothing at this address. It may have moved, or the link may be mistyped."),
        rx.hstack(
            rx.link("Go to your teams", href=routes.TEAMS),
            rx.text("·", aria_hidden="true"),
            rx.link("Home", href=routes.HOME),
            spacing="2",
        ),
    )


@rx.page(route=routes.NOT_FOUND, title="Page not found · teamsapp", on_load=AuthState.peek)
def not_found_page() -> rx.Component:
    """404: say so, and offer the way back."""
    return page("Page not found", not_found_body(), width="2")
