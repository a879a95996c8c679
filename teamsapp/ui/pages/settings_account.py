"""Settings: "Download my data" and "Delete account" (SPEC 13), one section of the settings page.

Both go through the services as the logged-in caller: the export is built by the same function as
GET /api/v1/user/me/export, the deletion by the same as DELETE /api/v1/user/me. The dialog first
shows what the deletion would do (the same plan the service decides on) and the teams blocking it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.account import export as account_export
from teamsapp.account import service as account_service
from teamsapp.account.schemas import AccountDelete
from teamsapp.core.errors import DomainError
from teamsapp.ui import browser_session, routes
from teamsapp.ui.components.forms import field, password_field
from teamsapp.ui.components.layout import alert, loading, section
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.state.auth import AuthState, acting, failure, post_to


class DataExportState(rx.State):
    """The download of the user's data."""

    running: rx.Field[bool] = rx.field(False)

    @rx.event
    async def download(self) -> AsyncIterator[EventSpec | None]:
        """Build the export as the logged-in caller and hand it to the browser as a file."""
        if self.running:
            return
        self.running = True
        yield None
        try:
            async with acting(self) as (session, principal):
                document = await account_export.export_account(session, user=principal.user)
                filename = account_export.filename(principal.user.username)
        except DomainError as error:
            self.running = False
            yield await failure(self, error)
            return
        self.running = False
        yield rx.download(
            data=json.dumps(document, ensure_ascii=False, indent=2),
            filename=filename,
            mime_type="application/json",
        )
        yield rx.toast.success("Your data is downloading.")


@dataclasses.dataclass
class TeamName:
    """A team the dialog names."""

    id: str
    name: str


class DeleteAccountState(FormMixin, rx.State):
    """The "Delete account" dialog: what will happen, then the password (and a code with 2FA)."""

    _schema = AccountDelete
    _optional = ("code",)

    open: rx.Field[bool] = rx.field(False)
    planned: rx.Field[bool] = rx.field(False)
    deleted: rx.Field[bool] = rx.field(False)
    sessions: rx.Field[int] = rx.field(0)
    deleted_teams: rx.Field[list[TeamName]] = rx.field(default_factory=list)
    left_teams: rx.Field[list[TeamName]] = rx.field(default_factory=list)
    blocking: rx.Field[list[TeamName]] = rx.field(default_factory=list)
    two_factor: rx.Field[bool] = rx.field(False)
    message: rx.Field[str] = rx.field("")

    async def _plan(self) -> None:
        async with acting(self) as (session, principal):
            plan = await account_service.deletion_plan(session, user=principal.user)
            self.two_factor = account_service.two_factor_enabled(principal.user)
        self.sessions = plan.sessions
        self.deleted_teams = [TeamName(id=str(team.id), name=team.name) for team in plan.deleted_teams]
        self.left_teams = [TeamName(id=str(team.id), name=team.name) for team in plan.left_teams]
        self.blocking = [TeamName(id=str(team.id), name=team.name) for team in plan.blocking]
        self.planned = True

    @rx.event
    async def set_open(self, value: bool) -> EventSpec | None:
        """Open the dialog (reading what the deletion would do now) or close it."""
        self._reset_form()
        self.message = ""
        self.open = bool(value)
        self.planned = False
        if not self.open:
            return None
        self.deleted = False
        try:
            await self._plan()
        except DomainError as error:
            self.open = False
            return await failure(self, error)
        return None

    async def _refused(self, error: DomainError) -> EventSpec | None:
        # A team became blocking since the dialog opened: show the plan again, with the reason.
        self.message = error.detail
        try:
            await self._plan()
        except DomainError as again:
            return await failure(self, again)
        return None

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Delete the account through the account service, then forget this browser's log-in."""
        values = {
            "current_password": form_data.get("current_password", ""),
            "code": form_data.get("code", ""),
        }
        data = self._parse(values, AccountDelete)
        if data is None:
            return
        self.message = ""
        auth = await self.get_state(AuthState)
        handle = auth._client().handle

        async def delete() -> list[EventSpec]:
            async with acting(self) as (session, principal):
                await account_service.delete_account(session, principal=principal, data=data)
            # The cookie's record goes now; the browser then clears the cookie on its way out.
            await browser_session.forget(handle)
            self.deleted = True
            return [post_to(routes.session_end(routes.ACCOUNT_DELETED))]

        async for event in self._submit(delete):
            yield event


def _team_list(label: str, teams: Any) -> rx.Component:
    return rx.cond(
        teams.length() > 0,
        rx.box(
            rx.text(label, size="2"),
            rx.el.ul(rx.foreach(teams, lambda team: rx.el.li(rx.text(team.name, size="2", weight="medium")))),
        ),
    )


def _plan_text() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Your account, your profile and your appearance settings are deleted for good, and every "
            "session (",
            DeleteAccountState.sessions,
            ") ends at once, on every device.",
            size="2",
        ),
        _team_list(
            "These teams are deleted with it, as you are their only member:", DeleteAccountState.deleted_teams
        ),
        _team_list(
            "You leave these teams; they keep what you did in their logs:", DeleteAccountState.left_teams
        ),
        rx.text("A mail confirms the deletion. This cannot be undone.", size="2"),
        spacing="2",
        width="100%",
    )


def _blocking() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(
                "You are the only owner of these teams, which other people are in. Make someone else "
                "owner, or delete the team, before deleting your account:"
            ),
            rx.el.ul(
                rx.foreach(
                    DeleteAccountState.blocking, lambda team: rx.el.li(rx.text(team.name, weight="bold"))
                )
            ),
            spacing="1",
        ),
        icon="triangle-alert",
        color_scheme="amber",
        high_contrast=True,
        role="alert",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            password_field(DeleteAccountState, "current_password", "Current password", form="delete-account"),
            rx.cond(
                DeleteAccountState.two_factor,
                field(
                    DeleteAccountState,
                    "code",
                    "Two-factor code",
                    form="delete-account",
                    autocomplete="one-time-code",
                    hint="The code from your authenticator app, or a recovery code.",
                ),
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                rx.button(
                    "Delete my account",
                    type="submit",
                    color_scheme="red",
                    high_contrast=True,
                    loading=DeleteAccountState.running,
                    disabled=DeleteAccountState.running | (DeleteAccountState.blocking.length() > 0),
                ),
                justify="end",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=DeleteAccountState.submit,
        reset_on_submit=False,
        custom_attrs={"aria-label": "Delete account", "noValidate": True},
        width="100%",
    )


def _dialog_body() -> rx.Component:
    return rx.cond(
        DeleteAccountState.planned,
        rx.vstack(
            _plan_text(),
            rx.cond(DeleteAccountState.blocking.length() > 0, _blocking()),
            alert(DeleteAccountState.message),
            _form(),
            spacing="3",
            width="100%",
        ),
        loading("Reading what the deletion would do"),
    )


def account_section() -> rx.Component:
    """The "Your data and your account" section of the settings page."""
    return section(
        "Your data and your account",
        "account-heading",
        rx.text("Download everything the app holds about you, as one JSON file.", size="2"),
        rx.button(
            rx.icon("download", aria_hidden="true"),
            "Download my data",
            variant="soft",
            loading=DataExportState.running,
            on_click=DataExportState.download,
            width="fit-content",
        ),
        rx.dialog.root(
            rx.dialog.trigger(
                rx.button(
                    "Delete account",
                    color_scheme="red",
                    high_contrast=True,
                    variant="soft",
                    width="fit-content",
                )
            ),
            rx.dialog.content(
                rx.dialog.title("Delete your account?"),
                rx.dialog.description("Read what will happen, then confirm with your password.", size="2"),
                _dialog_body(),
            ),
            open=DeleteAccountState.open,
            on_open_change=DeleteAccountState.set_open,
        ),
        card=True,
    )
