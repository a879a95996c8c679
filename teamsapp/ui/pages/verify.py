"""Confirm an email address with the mailed link and the password the account keeps, or ask for a new link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.ui import routes
from teamsapp.ui.components.forms import field, form, password_field
from teamsapp.ui.components.layout import alert, notice, page
from teamsapp.ui.forms import PublicFormMixin
from teamsapp.ui.state.auth import AuthState
from teamsapp.users import service as user_service
from teamsapp.users.schemas import EmailRequest, VerifyRequest

FORM = "verify"
CONFIRM_FORM = "confirm-address"
SENT = "If that address has an account still waiting for confirmation, a new link is on its way."


class VerifyState(PublicFormMixin, rx.State):
    """Where the page is (a link to confirm, confirmed, or no link), and the form that mails a new link."""

    _schema = EmailRequest
    status: rx.Field[str] = rx.field("idle")

    @rx.event
    async def load(self) -> None:
        """A link with a token asks for the password first; without one, offer a new link."""
        self._reset_form()
        self.status = "confirm" if self.router.url.query_parameters.get("token", "") else "idle"

    @rx.event
    async def resend(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Mail a new link (the answer is the same whether or not the address has an account)."""
        data = self._parse(form_data, EmailRequest)
        if data is None:
            return

        async def send() -> list[EventSpec]:
            async with session_scope() as session:
                await user_service.send_verification(session, email=data.email)
            return [rx.toast.success(SENT)]

        async for event in self._submit(send, by_field=False):
            yield event


class ConfirmAddressState(PublicFormMixin, rx.State):
    """The password the account keeps, asked before the address is confirmed; the token stays here."""

    _schema = VerifyRequest
    _token: str = ""

    def _field_error(self, error: DomainError, *, default: str = "") -> bool:
        # The token is no field the visitor can fix: a bad link is said above the form.
        return error.field != "token" and super()._field_error(error, default=default)

    @rx.event
    async def load(self) -> None:
        """Keep the link's token for the submit."""
        self._reset_form()
        self._token = self.router.url.query_parameters.get("token", "")

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Confirm the address through the user service, which keeps or sets the password."""
        data = self._parse({**form_data, "token": self._token}, VerifyRequest)
        if data is None:
            if "token" in self.errors:
                self.message = "This link is not valid. Ask for a new one below."
                (await self.get_state(VerifyState)).status = "idle"
            return

        async def confirm() -> list[EventSpec]:
            async with session_scope() as session:
                await user_service.verify_email(session, token=data.token, password=data.password)
            self._token = ""
            (await self.get_state(VerifyState)).status = "verified"
            return [AuthState.peek(), rx.toast.success("Email address confirmed.")]

        async for event in self._submit(confirm):
            yield event

    async def _refused(self, error: DomainError) -> EventSpec | None:
        await super()._refused(error)
        if error.field == "token":
            # A used or expired link: the form to ask for a new one takes its place.
            (await self.get_state(VerifyState)).status = "idle"
        return None


def _confirm_form() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Type your password to confirm your address. If you did not sign up yourself, choose a "
            "new password: whoever confirms the address decides the password, and every session of "
            "the account ends."
        ),
        form(
            ConfirmAddressState,
            password_field(
                ConfirmAddressState,
                "password",
                "Password",
                form=CONFIRM_FORM,
                hint="At least 8 characters.",
            ),
            submit="Confirm my address",
            on_submit=ConfirmAddressState.submit,
            label="Confirm your email address",
        ),
        spacing="3",
        width="100%",
    )


def _resend_form() -> rx.Component:
    return rx.vstack(
        rx.text("Enter your email address and we will mail you a new confirmation link."),
        form(
            VerifyState,
            field(VerifyState, "email", "Email", form=FORM, kind="email", autocomplete="email"),
            submit="Send a new link",
            on_submit=VerifyState.resend,
            label="Send a new confirmation link",
        ),
        spacing="3",
        width="100%",
    )


def _verified() -> rx.Component:
    return rx.vstack(
        notice("Your email address is confirmed."),
        rx.cond(
            AuthState.logged_in,
            rx.link("Go to your teams", href=routes.TEAMS),
            rx.link("Log in", href=routes.LOGIN),
        ),
        spacing="3",
        width="100%",
    )


@rx.page(
    route=routes.VERIFY,
    title="Confirm your email · teamsapp",
    on_load=[AuthState.peek, VerifyState.load, ConfirmAddressState.load],
)
def verify_page() -> rx.Component:
    """The email confirmation page."""
    return page(
        "Confirm your email",
        alert(VerifyState.message),
        alert(ConfirmAddressState.message),
        rx.match(
            VerifyState.status,
            ("confirm", _confirm_form()),
            ("verified", _verified()),
            _resend_form(),
        ),
        width="1",
    )
