"""The settings page's two-factor section: set up with a QR code, confirm with a code, recovery codes
(shown once, with copy and download), new recovery codes, and turning it off.

Every handler goes through `teamsapp.auth.two_factor` as the logged-in caller, like the REST routes.
The secret and the QR code are in the page's state only between set-up and confirmation; the
recovery codes only until the user says they saved them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import reflex as rx
from pydantic import BaseModel
from reflex.event import EventSpec

from teamsapp.auth import two_factor
from teamsapp.auth.schemas import CodeRequest, PasswordAndCode, TwoFactorSetupRequest
from teamsapp.core.errors import DomainError
from teamsapp.ui.components.forms import field, form, password_field
from teamsapp.ui.components.layout import loading, section
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.state.auth import acting, failure

CODES_FILE = "teamsapp-recovery-codes.txt"


class TwoFactorState(rx.State):
    """What the section shows: whether 2FA is on, a set-up in progress, new recovery codes."""

    enabled: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    qr_code: rx.Field[str] = rx.field("")
    secret: rx.Field[str] = rx.field("")
    recovery_codes: rx.Field[list[str]] = rx.field(default_factory=list)

    @rx.event
    async def load(self) -> EventSpec | None:
        """Read whether two-factor authentication is on, and forget anything shown before."""
        self._clear()
        try:
            async with acting(self) as (_session, principal):
                self.enabled = principal.user.two_factor_enabled
        except DomainError as error:
            return await failure(self, error)
        self.loaded = True
        return None

    def _clear(self) -> None:
        self.qr_code = self.secret = ""
        self.recovery_codes = []

    @rx.event
    def cancel_setup(self) -> None:
        """Drop a set-up that was not confirmed (nothing was turned on)."""
        self._clear()

    @rx.event
    def saved_codes(self) -> None:
        """The user saved the recovery codes: take them off the page."""
        self.recovery_codes = []

    @rx.event
    def copy_codes(self) -> list[EventSpec]:
        """Put the recovery codes on the clipboard."""
        if not self.recovery_codes:
            return [rx.toast.error("There are no recovery codes to copy.")]
        return [rx.set_clipboard("\n".join(self.recovery_codes)), rx.toast.success("Recovery codes copied.")]

    @rx.event
    def download_codes(self) -> EventSpec | None:
        """Save the recovery codes as a text file."""
        if not self.recovery_codes:
            return None
        text = "teamsapp recovery codes (each works once)\n\n" + "\n".join(self.recovery_codes) + "\n"
        return rx.download(data=text, filename=CODES_FILE)


def _reload_sessions() -> EventSpec:
    # Imported here: the settings page imports this module for its section.
    from teamsapp.ui.pages.settings import SessionsState  # noqa: PLC0415

    return SessionsState.reload()


class _TwoFactorForm(FormMixin, mixin=True):
    """A form of the section; `_act` calls the service and updates `TwoFactorState`."""

    _schema: ClassVar[type[BaseModel] | None] = None
    _fields: ClassVar[tuple[str, ...]] = ()

    async def _act(self, data: Any, shown: TwoFactorState) -> list[EventSpec]:
        raise NotImplementedError

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Send this form's fields to the two-factor service as the logged-in user."""
        assert self._schema is not None
        data = self._parse({name: form_data.get(name, "") for name in self._fields}, self._schema)
        if data is None:
            return
        shown = await self.get_state(TwoFactorState)

        async def act() -> list[EventSpec]:
            return await self._act(data, shown)

        async for event in self._submit(act):
            yield event


class TwoFactorSetupState(_TwoFactorForm, rx.State):
    """Start the set-up with the current password."""

    _schema = TwoFactorSetupRequest
    _fields = ("current_password",)

    async def _act(self, data: TwoFactorSetupRequest, shown: TwoFactorState) -> list[EventSpec]:
        async with acting(self) as (session, principal):
            setup = await two_factor.start_setup(
                session, principal=principal, current_password=data.current_password
            )
        shown.qr_code = two_factor.qr_data_uri(setup.qr_svg)
        shown.secret = setup.secret
        shown.recovery_codes = []
        return [rx.set_value("tfa-setup-current-password", "")]


class TwoFactorEnableState(_TwoFactorForm, rx.State):
    """Confirm the new secret with a code: two-factor authentication is on."""

    _schema = CodeRequest
    _fields = ("code",)

    async def _act(self, data: CodeRequest, shown: TwoFactorState) -> list[EventSpec]:
        async with acting(self) as (session, principal):
            codes = await two_factor.enable(session, principal=principal, code=data.code)
        shown.qr_code = shown.secret = ""
        shown.recovery_codes = codes.recovery_codes
        shown.enabled = True
        return [
            rx.set_value("tfa-enable-code", ""),
            _reload_sessions(),
            rx.toast.success("Two-factor authentication is on. Your other sessions were logged out."),
        ]


class TwoFactorRecoveryState(_TwoFactorForm, rx.State):
    """A new set of recovery codes (password and a code); the old set stops working."""

    _schema = PasswordAndCode
    _fields = ("current_password", "code")

    async def _act(self, data: PasswordAndCode, shown: TwoFactorState) -> list[EventSpec]:
        async with acting(self) as (session, principal):
            codes = await two_factor.regenerate_recovery_codes(
                session, principal=principal, current_password=data.current_password, code=data.code
            )
        shown.recovery_codes = codes.recovery_codes
        return [
            rx.set_value("tfa-recovery-current-password", ""),
            rx.set_value("tfa-recovery-code", ""),
            rx.toast.success("New recovery codes made; the old ones no longer work."),
        ]


class TwoFactorDisableState(_TwoFactorForm, rx.State):
    """Turn two-factor authentication off (password and a code)."""

    _schema = PasswordAndCode
    _fields = ("current_password", "code")

    async def _act(self, data: PasswordAndCode, shown: TwoFactorState) -> list[EventSpec]:
        async with acting(self) as (session, principal):
            await two_factor.disable(
                session, principal=principal, current_password=data.current_password, code=data.code
            )
        shown.enabled = False
        shown.recovery_codes = []
        return [
            rx.set_value("tfa-disable-current-password", ""),
            rx.set_value("tfa-disable-code", ""),
            _reload_sessions(),
            rx.toast.success("Two-factor authentication is off. Your other sessions were logged out."),
        ]


def _code_field(state: type[FormMixin], form_name: str, hint: str | None = None) -> rx.Component:
    return field(
        state, "code", "Authentication code", form=form_name, autocomplete="one-time-code", hint=hint
    )


def _recovery_codes() -> rx.Component:
    return rx.cond(
        TwoFactorState.recovery_codes.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text(
                    "Save these recovery codes somewhere safe. Each one logs you in once if you lose "
                    "your authenticator app. They are shown only now."
                ),
                rx.el.ul(
                    rx.foreach(
                        TwoFactorState.recovery_codes,
                        lambda code: rx.el.li(rx.code(code, size="3")),
                    ),
                    aria_label="Recovery codes",
                    style={"columns": "2", "list_style": "none", "padding": "0"},
                ),
                rx.hstack(
                    rx.button("Copy codes", variant="soft", on_click=TwoFactorState.copy_codes),
                    rx.button("Download codes", variant="soft", on_click=TwoFactorState.download_codes),
                    rx.button("I have saved them", on_click=TwoFactorState.saved_codes),
                    spacing="3",
                    wrap="wrap",
                ),
                spacing="3",
            ),
            icon="key-round",
            color_scheme="amber",
            high_contrast=True,
            width="100%",
        ),
    )


def _setup() -> rx.Component:
    return rx.cond(
        TwoFactorState.secret != "",
        rx.vstack(
            rx.text("Scan this QR code with your authenticator app, or type the secret into it."),
            rx.image(
                src=TwoFactorState.qr_code,
                alt="QR code to add teamsapp to your authenticator app",
                width="220px",
                height="220px",
                background="white",
            ),
            rx.text("Secret: ", rx.code(TwoFactorState.secret, id="tfa-secret", size="3")),
            form(
                TwoFactorEnableState,
                _code_field(TwoFactorEnableState, "tfa-enable", "The 6-digit code your app shows now."),
                submit="Turn on two-factor authentication",
                on_submit=TwoFactorEnableState.submit,
                label="Confirm two-factor authentication",
            ),
            rx.button(
                "Cancel set-up", variant="soft", color_scheme="gray", on_click=TwoFactorState.cancel_setup
            ),
            spacing="3",
            width="100%",
        ),
        form(
            TwoFactorSetupState,
            password_field(TwoFactorSetupState, "current_password", "Current password", form="tfa-setup"),
            submit="Set up two-factor authentication",
            on_submit=TwoFactorSetupState.submit,
            label="Set up two-factor authentication",
        ),
    )


def _password_and_code(state: type[_TwoFactorForm], form_name: str, submit: str, label: str) -> rx.Component:
    return form(
        state,
        password_field(state, "current_password", "Current password", form=form_name),
        _code_field(state, form_name, "A code from your app, or a recovery code."),
        submit=submit,
        on_submit=state.submit,
        label=label,
    )


def _enabled() -> rx.Component:
    return rx.vstack(
        rx.text("Two-factor authentication is on: logging in asks for a code from your app."),
        rx.heading("New recovery codes", as_="h3", size="3"),
        _password_and_code(
            TwoFactorRecoveryState, "tfa-recovery", "Make new recovery codes", "Make new recovery codes"
        ),
        rx.heading("Turn off", as_="h3", size="3"),
        _password_and_code(
            TwoFactorDisableState,
            "tfa-disable",
            "Turn off two-factor authentication",
            "Turn off two-factor authentication",
        ),
        spacing="3",
        width="100%",
    )


def two_factor_section() -> rx.Component:
    """The section of the settings page."""
    return rx.box(
        section(
            "Two-factor authentication",
            "two-factor-heading",
            rx.cond(
                TwoFactorState.loaded,
                rx.vstack(
                    _recovery_codes(),
                    rx.cond(
                        TwoFactorState.enabled,
                        _enabled(),
                        rx.vstack(
                            rx.text(
                                "Protect your account with a code from an authenticator app "
                                "(such as Aegis, Google Authenticator or 1Password) on top of your password."
                            ),
                            _setup(),
                            spacing="3",
                            width="100%",
                        ),
                    ),
                    spacing="4",
                    width="100%",
                ),
                loading("Loading two-factor authentication"),
            ),
            card=True,
        ),
        on_mount=TwoFactorState.load,
        width="100%",
    )
