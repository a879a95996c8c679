"""Account settings: profile, email change (confirmed by mail), password change, log-in sessions."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import reflex as rx
from reflex.event import EventSpec

from teamsapp.auth import service as auth_service
from teamsapp.core.errors import DomainError
from teamsapp.ui import routes
from teamsapp.ui.components.forms import field, form, password_field
from teamsapp.ui.components.layout import confirm, loading, page, section, table
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.pages.settings_account import account_section
from teamsapp.ui.pages.settings_tokens import api_tokens_section
from teamsapp.ui.pages.settings_two_factor import two_factor_section
from teamsapp.ui.state.auth import AuthState, acting, failure, parse_id
from teamsapp.users import service as user_service
from teamsapp.users.schemas import UserSettingsUpdate

TIME_FORMAT = "%Y-%m-%d %H:%M UTC"
BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Windows", "Windows"),
    ("Mac OS", "macOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A short name for a session's device ("Chrome on Linux"), or the raw agent for programs."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return user_agent[:60] or "Unknown device"


class _SettingsForm(FormMixin, mixin=True):
    """A settings form: the fields it sends go through `update_settings`, like PATCH /user/settings."""

    _schema = UserSettingsUpdate
    _fields: ClassVar[tuple[str, ...]] = ()
    _done: ClassVar[str] = "Saved."

    def _after(self, data: UserSettingsUpdate) -> list[EventSpec]:
        return [rx.toast.success(self._done)]

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Save this form's fields through the user service."""
        values = {name: form_data.get(name, "") for name in self._fields}
        data = self._parse(values, UserSettingsUpdate)
        if data is None:
            return
        auth = await self.get_state(AuthState)

        async def save() -> list[EventSpec]:
            async with acting(self) as (session, principal):
                user = await user_service.update_settings(session, principal=principal, data=data)
                auth._remember(user)
            return self._after(data)

        async for event in self._submit(save):
            yield event


class ProfileState(_SettingsForm, rx.State):
    """Full name and username."""

    _fields = ("full_name", "username")
    _done = "Profile saved."


class EmailState(_SettingsForm, rx.State):
    """A new email address, with the current password; it changes once the mailed link is followed."""

    _fields = ("email", "current_password")

    def _after(self, data: UserSettingsUpdate) -> list[EventSpec]:
        return [
            rx.set_value("email-current-password", ""),
            rx.toast.success(
                f"We mailed a confirmation link to {data.email}. Your address changes once you follow it."
            ),
        ]


class PasswordState(_SettingsForm, rx.State):
    """A new password, with the current one; every other session ends."""

    _fields = ("current_password", "new_password")

    def _after(self, data: UserSettingsUpdate) -> list[EventSpec]:
        return [
            rx.set_value("password-current-password", ""),
            rx.set_value("password-new-password", ""),
            SessionsState.reload,
            rx.toast.success("Password changed. Your other sessions were logged out."),
        ]


@dataclasses.dataclass
class SessionRow:
    """One log-in session as the list shows it."""

    id: str
    device: str
    ip: str
    created_at: str
    last_seen_at: str
    current: bool


class SessionsState(rx.State):
    """The user's log-in sessions, with revoke and "log out everywhere else"."""

    sessions: rx.Field[list[SessionRow]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    busy: rx.Field[str] = rx.field("")

    async def _list(self) -> None:
        async with acting(self, page_load=True) as (session, principal):
            rows = await auth_service.list_sessions(session, principal=principal)
        self.sessions = [
            SessionRow(
                id=str(row.id),
                device=describe_device(row.device),
                ip=row.ip or "unknown",
                created_at=row.created_at.strftime(TIME_FORMAT),
                last_seen_at=row.last_seen_at.strftime(TIME_FORMAT),
                current=row.current,
            )
            for row in rows
        ]
        self.loaded = True

    @rx.event
    async def load(self) -> EventSpec | None:
        """On page load: the log-in check and the session list."""
        self.busy = ""
        try:
            await self._list()
        except DomainError as error:
            return await failure(self, error)
        return None

    @rx.event
    async def reload(self) -> EventSpec | None:
        """Read the list again (after a password change ended the other sessions)."""
        return await self.load()

    @rx.event
    async def revoke(self, session_id: str) -> AsyncIterator[EventSpec | None]:
        """End one session (this one too: that is a log-out)."""
        target = parse_id(session_id)
        if target is None or self.busy:
            return
        self.busy = str(target)
        yield None
        try:
            async with acting(self) as (session, principal):
                await auth_service.revoke_session(session, principal=principal, session_id=target)
                current = target == principal.session_id
            if current:
                yield AuthState.logout()
                return
            await self._list()
        except DomainError as error:
            self.busy = ""
            yield await failure(self, error)
            return
        self.busy = ""
        yield rx.toast.success("Session ended.")

    @rx.event
    async def revoke_others(self) -> AsyncIterator[EventSpec | None]:
        """End every session but this one."""
        if self.busy:
            return
        self.busy = "others"
        yield None
        try:
            async with acting(self) as (session, principal):
                await auth_service.revoke_other_sessions(session, principal=principal)
            await self._list()
        except DomainError as error:
            self.busy = ""
            yield await failure(self, error)
            return
        self.busy = ""
        yield rx.toast.success("Logged out everywhere else.")


def _profile() -> rx.Component:
    return section(
        "Profile",
        "profile-heading",
        form(
            ProfileState,
            field(ProfileState, "full_name", "Full name", form="profile", default_value=AuthState.full_name),
            field(ProfileState, "username", "Username", form="profile", default_value=AuthState.username),
            submit="Save profile",
            on_submit=ProfileState.submit,
            label="Profile",
        ),
        card=True,
    )


def _email() -> rx.Component:
    return section(
        "Email address",
        "email-heading",
        rx.text("Your address is ", rx.text.strong(AuthState.email), "."),
        form(
            EmailState,
            field(EmailState, "email", "New email address", form="email", kind="email", autocomplete="email"),
            password_field(EmailState, "current_password", "Current password", form="email"),
            submit="Change email",
            on_submit=EmailState.submit,
            label="Change email address",
        ),
        card=True,
    )


def _password() -> rx.Component:
    return section(
        "Password",
        "password-heading",
        form(
            PasswordState,
            password_field(PasswordState, "current_password", "Current password", form="password"),
            password_field(
                PasswordState,
                "new_password",
                "New password",
                form="password",
                new=True,
                hint="At least 8 characters. Your other sessions will be logged out.",
            ),
            submit="Change password",
            on_submit=PasswordState.submit,
            label="Change password",
        ),
        card=True,
    )


def _session_row(row: SessionRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row.device, size="2", trim="both"),
                rx.cond(row.current, rx.badge("This browser", color_scheme="green", high_contrast=True)),
                spacing="1",
            )
        ),
        rx.table.cell(row.ip),
        rx.table.cell(row.created_at),
        rx.table.cell(row.last_seen_at),
        rx.table.cell(
            rx.button(
                rx.cond(row.current, "Log out", "Revoke"),
                white_space="nowrap",
                size="1",
                variant="soft",
                color_scheme="red",
                high_contrast=True,
                loading=SessionsState.busy == row.id,
                on_click=SessionsState.revoke(row.id),
                aria_label=rx.cond(row.current, "Log out this browser", "Revoke session from " + row.ip),
            )
        ),
    )


def _sessions() -> rx.Component:
    return section(
        "Sessions",
        "sessions-heading",
        rx.text("Where your account is logged in."),
        rx.cond(
            SessionsState.loaded,
            table(
                ("Device", "IP address", "Logged in", "Last seen", "Action"),
                SessionsState.sessions,
                _session_row,
                size="1",
            ),
            loading("Loading your sessions"),
        ),
        confirm(
            rx.button(
                "Log out everywhere else",
                variant="soft",
                color_scheme="red",
                high_contrast=True,
                loading=SessionsState.busy == "others",
            ),
            "Log out everywhere else?",
            "Every other browser and program using your account is logged out at once.",
            "Log out others",
            SessionsState.revoke_others,
        ),
        card=True,
    )


@rx.page(route=routes.SETTINGS, title="Settings · teamsapp", on_load=SessionsState.load)
def settings_page() -> rx.Component:
    """The settings page."""
    return page(
        "Settings",
        rx.cond(
            AuthState.logged_in,
            rx.fragment(
                _profile(),
                _email(),
                _password(),
                two_factor_section(),
                _sessions(),
                api_tokens_section(),
                account_section(),
            ),
            loading("Loading your settings"),
        ),
        rx.link("Appearance settings", href=routes.APPEARANCE),
        width="3",
    )
