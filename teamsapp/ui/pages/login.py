"""Log in with an email or username; then back to the page that sent the visitor here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.auth import service as auth_service
from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.ui import browser_session, routes
from teamsapp.ui.appearance import store_script
from teamsapp.ui.components.forms import field, form, password_field
from teamsapp.ui.components.layout import alert, page
from teamsapp.ui.forms import PublicFormMixin
from teamsapp.ui.state.auth import AuthState, go_to
from teamsapp.users.schemas import LoginRequest


class LoginState(PublicFormMixin, rx.State):
    """The log-in form."""

    _schema = LoginRequest
    _after_signup: str = ""

    def _next(self) -> str:
        asked = self.router.url.query_parameters.get("next")
        return routes.safe_next(asked or self._after_signup)

    @rx.var
    def signup_link(self) -> str:
        """The sign-up page, keeping where to go afterwards."""
        return routes.signup(self.router.url.query_parameters.get("next"))

    @rx.event
    async def load(self) -> EventSpec | None:
        """Start clean; someone already logged in goes straight on."""
        self._reset_form()
        auth = await self.get_state(AuthState)
        if auth.after_login:
            self._after_signup, auth.after_login = auth.after_login, ""
        try:
            async with session_scope() as session:
                await auth._require_principal(session)
        except DomainError:
            return None
        return rx.redirect(self._next(), replace=True)

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Check the credentials through the auth service and start the browser's session."""
        data = self._parse(form_data, LoginRequest)
        if data is None:
            return
        self.running = True
        self.message = ""
        yield None
        auth = await self.get_state(AuthState)
        client = auth._client()
        try:
            async with session_scope() as session:
                tokens = await auth_service.login(
                    session, login=data.login, password=data.password, device=client.device, ip=client.ip
                )
                principal = await auth_service.authenticate(session, access_token=tokens.access_token)
                theme, accent = principal.user.theme, principal.user.accent_color
            handoff = await browser_session.start(tokens)
        except DomainError as error:
            self.running = False
            if not self._field_error(error):
                self.message = error.detail
            return
        # The spinner stays on while the browser leaves; the user's appearance is stored before the
        # next page loads, so it paints right at once.
        before = f"{store_script(theme, accent)}\n{browser_session.binding_script(handoff.binding)}"
        yield go_to(routes.session_start(handoff.code, self._next()), before=before)


@rx.page(route=routes.LOGIN, title="Log in · teamsapp", on_load=LoginState.load)
def login_page() -> rx.Component:
    """The log-in page."""
    return page(
        "Log in",
        alert(LoginState.message),
        form(
            LoginState,
            field(LoginState, "login", "Email or username", form="login", autocomplete="username"),
            password_field(LoginState, "password", "Password", form="login"),
            submit="Log in",
            on_submit=LoginState.submit,
            label="Log in",
        ),
        rx.hstack(
            rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD),
            rx.text("·", aria_hidden="true"),
            rx.link("Create an account", href=LoginState.signup_link),
            spacing="2",
        ),
        width="1",
    )
