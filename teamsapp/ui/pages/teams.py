"""The user's teams, each with their role, and the form that creates one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.errors import DomainError
from teamsapp.teams import service as team_service
from teamsapp.teams.schemas import TeamCreate
from teamsapp.ui import routes
from teamsapp.ui.components.forms import field, form
from teamsapp.ui.components.layout import loading, page, section, table
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.state.auth import AuthState, acting, failure
from teamsapp.users import service as user_service

FORM = "new-team"


class TeamsState(FormMixin, rx.State):
    """The team list lives in `AuthState.teams` (the switcher shows it too); this is the create form."""

    _schema = TeamCreate
    loaded: rx.Field[bool] = rx.field(False)

    @rx.event
    async def load(self) -> EventSpec | None:
        """On page load: the log-in check and the list."""
        self._reset_form()
        try:
            async with acting(self, page_load=True):
                pass
        except DomainError as error:
            return await failure(self, error)
        self.loaded = True
        return None

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Create the team through the team service (the creator becomes its owner)."""
        data = self._parse(form_data, TeamCreate)
        if data is None:
            return

        async def create() -> list[EventSpec]:
            async with acting(self) as (session, principal):
                team = await team_service.create_team(session, actor=principal.user, data=data)
                await (await self.get_state(AuthState))._load_teams(session, principal)
            return [rx.toast.success(f"Team {team.name} created."), rx.redirect(routes.team(team.id))]

        async for event in self._submit(create):
            yield event

    @rx.event
    async def resend_verification(self) -> AsyncIterator[EventSpec | None]:
        """Mail a new confirmation link to the logged-in user's address."""
        self.running = True
        yield None
        auth = await self.get_state(AuthState)
        try:
            async with acting(self) as (session, principal):
                await user_service.send_own_verification(session, actor=principal.user)
        except DomainError as error:
            self.running = False
            yield await failure(self, error)
            return
        self.running = False
        yield rx.toast.success(f"A new confirmation link is on its way to {auth.email}.")


def _unverified() -> rx.Component:
    return rx.cond(
        AuthState.is_verified,
        rx.fragment(),
        rx.callout.root(
            rx.callout.icon(rx.icon("mail-warning")),
            rx.callout.text("Confirm your email address to create teams and accept invitations."),
            rx.button(
                "Send a new confirmation link",
                size="1",
                variant="soft",
                on_click=TeamsState.resend_verification,
                loading=TeamsState.running,
            ),
            color_scheme="amber",
            high_contrast=True,
            width="100%",
        ),
    )


def _team_row(team: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(team["name"], href=f"{routes.TEAMS}/{team['id']}")),
        rx.table.cell(rx.badge(team["role"], variant="soft", high_contrast=True)),
    )


def _list() -> rx.Component:
    return section(
        "Your teams",
        "teams-heading",
        rx.cond(
            AuthState.teams.length() > 0,
            table(("Team", "Your role"), AuthState.teams, _team_row),
            rx.text("You are not in any team yet. Create one, or accept an invitation."),
        ),
    )


def _create() -> rx.Component:
    return section(
        "New team",
        "new-team-heading",
        form(
            TeamsState,
            field(TeamsState, "name", "Team name", form=FORM),
            field(TeamsState, "description", "Description (optional)", form=FORM),
            submit="Create team",
            on_submit=TeamsState.submit,
            label="New team",
        ),
    )


@rx.page(route=routes.TEAMS, title="Teams · teamsapp", on_load=TeamsState.load)
def teams_page() -> rx.Component:
    """The teams page."""
    return page(
        "Teams",
        rx.cond(
            TeamsState.loaded, rx.fragment(_unverified(), _list(), _create()), loading("Loading your teams")
        ),
        width="3",
    )
