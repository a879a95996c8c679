"""Set a new password with the mailed link; every session ends, then log in again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.ui import routes
from teamsapp.ui.components.forms import form, password_field
from teamsapp.ui.components.layout import alert, page
from teamsapp.ui.forms import PublicFormMixin
from teamsapp.ui.state.auth import AuthState
from teamsapp.users import service as user_service
from teamsapp.users.schemas import PasswordReset

FORM = "reset"


class ResetPasswordState(PublicFormMixin, rx.State):
    """The new-password form; the token from the link stays on the server."""

    _schema = PasswordReset
    has_token: rx.Field[bool] = rx.field(False)
    _token: str = ""

    def _field_error(self, error: DomainError, *, default: str = "") -> bool:
        # The token is no field the visitor can fix: a bad link is said above the form.
        return error.field != "token" and super()._field_error(error, default=default)

    @rx.event
    async def load(self) -> None:
        """Keep the link's token for the submit."""
        self._reset_form()
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

        async def reset() -> list[EventSpec]:
            async with session_scope() as session:
                await user_service.reset_password(session, token=data.token, password=data.password)
            self._token = ""
            return [rx.toast.success("Your password is set. Log in with it."), rx.redirect(routes.LOGIN)]

        async for event in self._submit(reset):
            yield event


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
                password_field(
                    ResetPasswordState,
                    "password",
                    "New password",
                    form=FORM,
                    new=True,
                    hint="At least 8 characters. Every session of your account ends.",
                ),
                submit="Set password",
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
