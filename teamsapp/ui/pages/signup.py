"""Sign up: email, username, full name, password; a verification mail follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.ui import routes
from teamsapp.ui.components.forms import field, form, password_field
from teamsapp.ui.components.layout import alert, notice, page
from teamsapp.ui.forms import PublicFormMixin
from teamsapp.ui.state.auth import AuthState
from teamsapp.users import service as user_service
from teamsapp.users.schemas import UserCreate

FORM = "signup"


class SignupState(PublicFormMixin, rx.State):
    """The sign-up form, then the "check your mail" note."""

    _schema = UserCreate
    sent_to: rx.Field[str] = rx.field("")

    @rx.var
    def login_link(self) -> str:
        """The log-in page, keeping where to go afterwards."""
        return routes.login(self.router.url.query_parameters.get("next"))

    @rx.event
    async def load(self) -> None:
        """Start with an empty form; remember where to go after the first log-in."""
        self._reset_form()
        self.sent_to = ""
        next_path = self.router.url.query_parameters.get("next")
        if next_path:
            auth = await self.get_state(AuthState)
            auth.after_login = routes.safe_next(next_path)

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Create the account through the user service, which mails the verification link."""
        data = self._parse(form_data, UserCreate)
        if data is None:
            return

        async def sign_up() -> list[EventSpec]:
            async with session_scope() as session:
                await user_service.sign_up(session, data=data)
            self.sent_to = data.email
            return [rx.toast.success("Account created. Check your mail to confirm your address.")]

        async for event in self._submit(sign_up):
            yield event


def _sent() -> rx.Component:
    return rx.vstack(
        notice(
            rx.fragment("We sent a confirmation link to ", rx.text.strong(SignupState.sent_to), "."),
            icon="mail-check",
        ),
        rx.text("Follow it to confirm your address, then log in."),
        rx.link("Log in", href=SignupState.login_link),
        spacing="3",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.vstack(
        alert(SignupState.message),
        form(
            SignupState,
            field(SignupState, "email", "Email", form=FORM, kind="email", autocomplete="email"),
            field(
                SignupState,
                "username",
                "Username",
                form=FORM,
                autocomplete="username",
                hint="Letters, digits, '_', '.' and '-'; at least 3.",
            ),
            field(SignupState, "full_name", "Full name", form=FORM, autocomplete="name"),
            password_field(
                SignupState, "password", "Password", form=FORM, new=True, hint="At least 8 characters."
            ),
            submit="Create account",
            on_submit=SignupState.submit,
            label="Sign up",
        ),
        rx.text("Already have an account? ", rx.link("Log in", href=SignupState.login_link)),
        spacing="4",
        width="100%",
    )


@rx.page(route=routes.SIGNUP, title="Sign up · teamsapp", on_load=SignupState.load)
def signup_page() -> rx.Component:
    """The sign-up page."""
    return page("Create your account", rx.cond(SignupState.sent_to != "", _sent(), _form()), width="1")
