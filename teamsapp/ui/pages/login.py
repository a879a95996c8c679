"""Log in with an email or username; then back to the page that sent the visitor here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.auth import service as auth_service
from teamsapp.auth import two_factor
from teamsapp.auth.schemas import MfaChallenge, MfaLogin
from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.ui import browser_session, routes
from teamsapp.ui.appearance import store_script
from teamsapp.ui.components.forms import field, form, password_field
from teamsapp.ui.components.layout import alert, page
from teamsapp.ui.forms import PublicFormMixin
from teamsapp.ui.state.auth import AuthState, go_to
from teamsapp.users.schemas import LoginRequest, TokenPair


class LoginState(PublicFormMixin, rx.State):
    """The log-in form."""

    _schema = LoginRequest
    _after_signup: str = ""
    # The second step's token stays on the server; the page only knows it is at that step.
    _mfa_token: str = ""
    step: rx.Field[str] = rx.field("password")
    use_recovery_code: rx.Field[bool] = rx.field(False)

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
        self._back_to_password()
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
                result = await auth_service.start_login(
                    session, login=data.login, password=data.password, device=client.device, ip=client.ip
                )
            if isinstance(result, MfaChallenge):
                self._mfa_token = result.mfa_token
                self.step = "code"
                self.running = False
                return
            yield await self._finish(result)
        except DomainError as error:
            self.running = False
            if not self._field_error(error):
                self.message = error.detail

    async def _finish(self, tokens: TokenPair) -> EventSpec:
        async with session_scope() as session:
            principal = await auth_service.authenticate(session, access_token=tokens.access_token)
            theme, accent = principal.user.theme, principal.user.accent_color
        handoff = await browser_session.start(tokens)
        # The spinner stays on while the browser leaves; the user's appearance is stored before the
        # next page loads, so it paints right at once.
        before = f"{store_script(theme, accent)}\n{browser_session.binding_script(handoff.binding)}"
        return go_to(routes.session_start(handoff.code, self._next()), before=before)

    def _back_to_password(self) -> None:
        self._mfa_token = ""
        self.step = "password"
        self.use_recovery_code = False

    @rx.event
    def toggle_recovery_code(self) -> None:
        """Switch between a code from the app and a recovery code."""
        self.use_recovery_code = not self.use_recovery_code
        self.errors = {}

    @rx.event
    def start_over(self) -> None:
        """Back to the password form."""
        self._reset_form()
        self._back_to_password()

    @rx.event
    async def submit_code(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """The second step: the code and the server-side `mfa_token` go to the two-factor service."""
        if not self._mfa_token:
            self._back_to_password()
            self.message = "Log in with your password first."
            return
        data = self._parse({"code": form_data.get("code", ""), "mfa_token": self._mfa_token}, MfaLogin)
        if data is None:
            return
        self.running = True
        self.message = ""
        yield None
        client = (await self.get_state(AuthState))._client()
        try:
            async with session_scope() as session:
                tokens = await two_factor.complete_login(
                    session, mfa_token=data.mfa_token, code=data.code, device=client.device, ip=client.ip
                )
            yield await self._finish(tokens)
        except DomainError as error:
            self.running = False
            if error.detail == two_factor.STEP_ENDED:
                self._back_to_password()
            if not self._field_error(error):
                self.message = error.detail


def _password_form() -> rx.Component:
    return form(
        LoginState,
        field(LoginState, "login", "Email or username", form="login", autocomplete="username"),
        password_field(LoginState, "password", "Password", form="login"),
        submit="Log in",
        on_submit=LoginState.submit,
        label="Log in",
    )


def _code_form() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.cond(
                LoginState.use_recovery_code,
                "Enter one of the recovery codes you saved when you turned on two-factor authentication.",
                "Enter the 6-digit code from your authenticator app.",
            )
        ),
        form(
            LoginState,
            rx.cond(
                LoginState.use_recovery_code,
                field(
                    LoginState,
                    "code",
                    "Recovery code",
                    form="login-recovery",
                    autocomplete="off",
                    check=False,
                ),
                field(
                    LoginState,
                    "code",
                    "Authentication code",
                    form="login-code",
                    autocomplete="one-time-code",
                    check=False,
                ),
            ),
            submit="Verify",
            on_submit=LoginState.submit_code,
            label="Two-factor authentication",
        ),
        rx.hstack(
            rx.button(
                rx.cond(LoginState.use_recovery_code, "Use a code from the app", "Use a recovery code"),
                variant="ghost",
                on_click=LoginState.toggle_recovery_code,
            ),
            rx.button("Start over", variant="ghost", color_scheme="gray", on_click=LoginState.start_over),
            spacing="4",
        ),
        spacing="3",
        width="100%",
    )


@rx.page(route=routes.LOGIN, title="Log in · teamsapp", on_load=LoginState.load)
def login_page() -> rx.Component:
    """The log-in page: the password, then, with two-factor authentication on, a code."""
    return page(
        "Log in",
        alert(LoginState.message),
        rx.cond(LoginState.step == "code", _code_form(), _password_form()),
        rx.hstack(
            rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD),
            rx.text("·", aria_hidden="true"),
            rx.link("Create an account", href=LoginState.signup_link),
            spacing="2",
        ),
        width="1",
    )
