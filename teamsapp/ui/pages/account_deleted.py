"""Where the browser lands after deleting its account (the cookie already cleared)."""

from __future__ import annotations

import reflex as rx

from teamsapp.ui import routes
from teamsapp.ui.components.layout import notice, page
from teamsapp.ui.state.auth import AuthState


@rx.page(route=routes.ACCOUNT_DELETED, title="Account deleted · teamsapp", on_load=AuthState.peek)
def account_deleted_page() -> rx.Component:
    """Say that the account is gone and what happens next."""
    return page(
        "Account deleted",
        notice("Your account has been deleted. A mail confirming it is on its way to you."),
        rx.text("Your sessions have ended and your data is gone. You are welcome back any time."),
        rx.hstack(
            rx.link("Sign up", href=routes.SIGNUP),
            rx.text("·", aria_hidden="true"),
            rx.link("Home", href=routes.HOME),
            spacing="2",
        ),
        width="2",
    )
