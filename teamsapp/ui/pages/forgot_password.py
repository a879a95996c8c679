"""Ask for a password-reset link by mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.ui import routes
from teamsapp.ui.components.forms import field, form, submit_button
from teamsapp.ui.components.layout import alert, page
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.state.auth import AuthState
from teamsapp.users import service as user_service
from teamsapp.users.schemas import EmailRequest

FORM = "forgot"
SENT = "If that address has an account, a link to reset the password is on its way. It works for one hour."


class ForgotPasswordState(FormMixin, rx.State):
    """The form, then the neutral "check your mail" note (it never tells whether an account exists)."""

    _schema = EmailRequest
    message: rx.Field[str] = rx.field("")
    sent: rx.Field[bool] = rx.field(False)

    @rx.event
    async def load(self) -> None:
        """Start with an empty form."""
        self.errors = {}
        self.message = ""
        self.sent = False
        self.running = False

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Mail a reset link through the user service."""
        data = self._parse(form_data, EmailRequest)
        if data is None:
            return
        self.running = True
        self.message = ""
        yield None
        try:
            async with session_scope() as session:
                await user_service.send_password_reset(session, email=data.email)
        except DomainError as error:
            self.running = False
            self.message = error.detail
            return
        self.running = False
        self.sent = True
        yield rx.toast.success("Check your mail.")


@rx.page(
    route=routes.FORGOT_PASSWORD,
    title="Forgot your password · teamsapp",
    on_load=[AuthState.peek, ForgotPasswordState.load],
)
def forgot_password_page() -> rx.Component:
    """The page that mails a reset link."""
    return page(
        "Forgot your password?",
        alert(ForgotPasswordState.message),
        rx.cond(
            ForgotPasswordState.sent,
            rx.callout(
                SENT, icon="mail-check", color_scheme="green", high_contrast=True, role="status", width="100%"
            ),
            form(
                ForgotPasswordState,
                rx.text(
                    "Enter the email address of your account; we will mail you a link to set a new password."
                ),
                field(ForgotPasswordState, "email", "Email", form=FORM, kind="email", autocomplete="email"),
                submit_button("Send reset link", ForgotPasswordState),
                on_submit=ForgotPasswordState.submit,
                label="Reset your password",
            ),
        ),
        rx.link("Back to log in", href=routes.LOGIN),
        width="1",
    )
