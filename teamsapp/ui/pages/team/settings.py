"""The team page's settings form, audit log, and the leave and delete actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.teams import service as team_service
from teamsapp.teams.schemas import TeamSettingsUpdate
from teamsapp.ui.components.forms import field, form, role_select
from teamsapp.ui.components.layout import confirm, section, table
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.pages.team.state import AuditRow, TeamState
from teamsapp.ui.state.auth import AuthState, acting, parse_id

FORM = "team-settings"


class TeamSettingsFormState(FormMixin, rx.State):
    """The team settings form."""

    _schema = TeamSettingsUpdate
    _optional = ("invitation_ttl_hours",)

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Save the settings through the team service."""
        data = self._parse(form_data, TeamSettingsUpdate)
        team = await self.get_state(TeamState)
        team_id = parse_id(team.team_key)
        if data is None or team_id is None:
            return

        async def save() -> list[EventSpec]:
            async with acting(self) as (session, principal):
                await team_service.update_settings(session, actor=principal.user, team_id=team_id, data=data)
                await team._load(session, principal, team_id)
                await (await self.get_state(AuthState))._load_teams(session, principal)
            return [rx.toast.success("Team settings saved.")]

        async for event in self._submit(save):
            yield event


def settings_section() -> rx.Component:
    """Name, description, default invitation role and lifetime (owners and admins)."""
    return section(
        "Settings",
        "settings-heading",
        rx.cond(
            TeamState.loaded,
            form(
                TeamSettingsFormState,
                field(TeamSettingsFormState, "name", "Team name", form=FORM, default_value=TeamState.name),
                field(
                    TeamSettingsFormState,
                    "description",
                    "Description",
                    form=FORM,
                    default_value=TeamState.description,
                ),
                role_select(
                    "default_role", "Default role of invitations", form=FORM, default=TeamState.default_role
                ),
                field(
                    TeamSettingsFormState,
                    "invitation_ttl_hours",
                    "Invitations valid for (hours)",
                    form=FORM,
                    kind="number",
                    default_value=TeamState.invitation_ttl_hours.to_string(),
                    step="any",
                ),
                submit="Save settings",
                on_submit=TeamSettingsFormState.submit,
                label="Team settings",
            ),
        ),
    )


def _audit_row(row: AuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.when),
        rx.table.cell(row.actor),
        rx.table.cell(rx.code(row.action)),
        rx.table.cell(row.subject),
    )


def audit_section() -> rx.Component:
    """The latest entries of the audit log (owners and admins)."""
    return section(
        "Audit log",
        "audit-heading",
        table(("When", "Who", "What", "Whom"), TeamState.audit, _audit_row, size="1"),
    )


def danger_section() -> rx.Component:
    """Leave the team; owners may also delete it."""
    leave = confirm(
        rx.button(
            "Leave team",
            variant="soft",
            color_scheme="red",
            high_contrast=True,
            loading=TeamState.busy == "leave",
        ),
        "Leave " + TeamState.name + "?",
        "You lose access at once; someone has to invite you to come back.",
        "Leave",
        TeamState.leave,
    )
    delete = confirm(
        rx.button("Delete team", color_scheme="red", high_contrast=True, loading=TeamState.busy == "delete"),
        "Delete " + TeamState.name + "?",
        "The team, its members and its invitations are deleted for good. This cannot be undone.",
        "Delete team",
        TeamState.delete_team,
    )
    return section(
        "Leave or delete",
        "danger-heading",
        rx.hstack(leave, rx.cond(TeamState.is_owner, delete), spacing="3"),
    )
