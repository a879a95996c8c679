"""Ask for a password-reset link by mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.ui import routes
from teamsapp.ui.components.forms import field, form
from teamsapp.ui.components.layout import alert, notice, page
from teamsapp.ui.forms import PublicFormMixin
from teamsapp.ui.state.auth import AuthState
from teamsapp.users import service as user_service
from teamsapp.users.schemas import EmailRequest

FORM = "forgot"
SENT = "If that address has an account, a link to reset the password is on its way. It works for one hour."


class ForgotPasswordState(PublicFormMixin, rx.State):
    """The form, then the neutral "check your mail" note (it never tells whether an account exists)."""

    _schema = EmailRequest
    sent: rx.Field[bool] = rx.field(False)

    @rx.event
    async def load(self) -> None:
        """Start with an empty form."""
        self._reset_form()
        self.sent = False

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Mail a reset link through the user service."""
        data = self._parse(form_data, EmailRequest)
        if data is None:
            return

        async def send() -> list[EventSpec]:
            async with session_scope() as session:
                await user_service.send_password_reset(session, email=data.email)
            self.sent = True
            return [rx.toast.success("Check your mail.")]

        async for event in self._submit(send, by_field=False):
            yield event


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
            notice(SENT, icon="mail-check"),
            form(
                ForgotPasswordState,
                rx.text(
                    "Enter the email address of your account; we will mail you a link to set a new password."
                ),
                field(ForgotPasswordState, "email", "Email", form=FORM, kind="email", autocomplete="email"),
                submit="Send reset link",
                on_submit=ForgotPasswordState.submit,
                label="Reset your password",
            ),
        ),
        rx.link("Back to log in", href=routes.LOGIN),
        width="1",
    )
