"""Confirm a new email address with the link mailed to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.ui import routes
from teamsapp.ui.components.layout import alert, loading, notice, page
from teamsapp.ui.state.auth import AuthState
from teamsapp.users import service as user_service
from teamsapp.users.schemas import TokenRequest


class EmailConfirmState(rx.State):
    """The outcome of following the link."""

    status: rx.Field[str] = rx.field("checking")
    message: rx.Field[str] = rx.field("")
    email: rx.Field[str] = rx.field("")

    @rx.event
    async def load(self) -> AsyncIterator[EventSpec | None]:
        """Switch the account to the new address through the user service."""
        self.status = "checking"
        self.message = ""
        yield None
        try:
            request = TokenRequest(token=self.router.url.query_parameters.get("token", ""))
            async with session_scope() as session:
                user = await user_service.confirm_email_change(session, token=request.token)
                self.email = user.email
        except DomainError as error:
            self.status = "failed"
            self.message = error.detail
            return
        except ValueError:
            self.status = "failed"
            self.message = "This page needs the link from the confirmation mail."
            return
        self.status = "confirmed"
        yield AuthState.peek()
        yield rx.toast.success("Email address changed.")


@rx.page(
    route=routes.EMAIL_CONFIRM,
    title="Confirm your new email · teamsapp",
    on_load=[AuthState.peek, EmailConfirmState.load],
)
def email_confirm_page() -> rx.Component:
    """The page the email-change mail links to."""
    return page(
        "Confirm your new email",
        alert(EmailConfirmState.message),
        rx.match(
            EmailConfirmState.status,
            ("checking", loading("Confirming your new address")),
            (
                "confirmed",
                notice(
                    rx.fragment("Your email address is now ", rx.text.strong(EmailConfirmState.email), ".")
                ),
            ),
            rx.fragment(),
        ),
        rx.cond(
            AuthState.logged_in,
            rx.link("Back to your settings", href=routes.SETTINGS),
            rx.link("Log in", href=routes.LOGIN),
        ),
        width="2",
    )
