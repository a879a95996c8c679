"""Confirm an email address with the mailed link, or ask for a new link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.ui import routes
from teamsapp.ui.components.forms import field, form
from teamsapp.ui.components.layout import alert, loading, notice, page
from teamsapp.ui.forms import PublicFormMixin
from teamsapp.ui.state.auth import AuthState
from teamsapp.users import service as user_service
from teamsapp.users.schemas import EmailRequest, TokenRequest

FORM = "verify"
SENT = "If that address has an account still waiting for confirmation, a new link is on its way."


class VerifyState(PublicFormMixin, rx.State):
    """The outcome of following the link, and the form that mails a new one."""

    _schema = EmailRequest
    status: rx.Field[str] = rx.field("idle")

    @rx.event
    async def load(self) -> AsyncIterator[EventSpec | None]:
        """Follow the link: verify through the user service when the address carries a token."""
        self._reset_form()
        token = self.router.url.query_parameters.get("token", "")
        if not token:
            self.status = "idle"
            return
        self.status = "checking"
        yield None
        try:
            request = TokenRequest(token=token)
            async with session_scope() as session:
                await user_service.verify_email(session, token=request.token)
        except (DomainError, ValueError) as error:
            self.status = "failed"
            self.message = getattr(error, "detail", "This link is not valid.")
            return
        self.status = "verified"
        yield AuthState.peek()
        yield rx.toast.success("Email address confirmed.")

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
    route=routes.VERIFY, title="Confirm your email · teamsapp", on_load=[AuthState.peek, VerifyState.load]
)
def verify_page() -> rx.Component:
    """The email confirmation page."""
    return page(
        "Confirm your email",
        alert(VerifyState.message),
        rx.match(
            VerifyState.status,
            ("checking", loading("Confirming your address")),
            ("verified", _verified()),
            _resend_form(),
        ),
        width="1",
    )
