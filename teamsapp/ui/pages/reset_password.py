"""Set a new password with the mailed link; every session ends, then log in again."""

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
from teamsapp.users.schemas import PasswordReset

FORM = "reset"


class ResetPasswordState(FormMixin, rx.State):
    """The new-password form; the token from the link stays on the server."""

    _schema = PasswordReset
    message: rx.Field[str] = rx.field("")
    has_token: rx.Field[bool] = rx.field(False)
    _token: str = ""

    @rx.event
    async def load(self) -> None:
        """Keep the link's token for the submit."""
        self.errors = {}
        self.message = ""
        self.running = False
        self._token = self.router.url.query_parameters.get("token", "")
        self.has_token = bool(self._token)

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Set the password through the user service."""
        data = self._parse({**form_data, "token": self._token}, PasswordReset)
        if data is None:
            if "token" in self.errors:
                self.message = "This link is not valid. Ask for a new one."
            return
        self.running = True
        self.message = ""
        yield None
        try:
            async with session_scope() as session:
                await user_service.reset_password(session, token=data.token, password=data.password)
        except DomainError as error:
            self.running = False
            if error.field == "token" or not self._field_error(error):
                self.message = error.detail
            return
        self.running = False
        self._token = ""
        yield rx.toast.success("Your password is set. Log in with it.")
        yield rx.redirect(routes.LOGIN)


@rx.page(
    route=routes.RESET_PASSWORD,
    title="Set a new password · teamsapp",
    on_load=[AuthState.peek, ResetPasswordState.load],
)
def reset_password_page() -> rx.Component:
    """The page the reset mail links to."""
    return page(
        "Set a new password",
        alert(ResetPasswordState.message),
        rx.cond(
            ResetPasswordState.has_token,
            form(
                ResetPasswordState,
                field(
                    ResetPasswordState,
                    "password",
                    "New password",
                    form=FORM,
                    kind="password",
                    autocomplete="new-password",
                    hint="At least 8 characters. Every session of your account ends.",
                ),
                submit_button("Set password", ResetPasswordState),
                on_submit=ResetPasswordState.submit,
                label="Set a new password",
            ),
            rx.text(
                "This page needs the link from the reset mail. ",
                rx.link("Ask for one", href=routes.FORGOT_PASSWORD),
            ),
        ),
        width="1",
    )
