"""The team page's settings form, audit log, and the leave and delete actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.errors import DomainError
from teamsapp.models import Role
from teamsapp.teams import service as team_service
from teamsapp.teams.schemas import TeamSettingsUpdate
from teamsapp.ui.components.forms import field, form, submit_button
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.pages.team.members import confirm
from teamsapp.ui.pages.team.state import AuditRow, TeamState
from teamsapp.ui.state.auth import AuthState, acting, failure, parse_id

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
        self.running = True
        yield None
        try:
            async with acting(self) as (session, principal):
                await team_service.update_settings(session, actor=principal.user, team_id=team_id, data=data)
                await team._load(session, principal, team_id)
                await (await self.get_state(AuthState))._load_teams(session, principal)
        except DomainError as error:
            self.running = False
            if not self._field_error(error):
                yield await failure(self, error)
            return
        self.running = False
        yield rx.toast.success("Team settings saved.")


def settings_section() -> rx.Component:
    """Name, description, default invitation role and lifetime (owners and admins)."""
    role_id = f"{FORM}-default-role"
    return rx.el.section(
        rx.vstack(
            rx.heading("Settings", as_="h2", size="5", id="settings-heading"),
            rx.cond(
                TeamState.loaded,
                form(
                    TeamSettingsFormState,
                    field(
                        TeamSettingsFormState, "name", "Team name", form=FORM, default_value=TeamState.name
                    ),
                    field(
                        TeamSettingsFormState,
                        "description",
                        "Description",
                        form=FORM,
                        default_value=TeamState.description,
                    ),
                    rx.vstack(
                        rx.el.label(
                            rx.text("Default role of invitations", weight="medium", size="2"),
                            html_for=role_id,
                        ),
                        rx.select(
                            [role.value for role in Role],
                            name="default_role",
                            default_value=TeamState.default_role,
                            id=role_id,
                        ),
                        spacing="1",
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
                    submit_button("Save settings", TeamSettingsFormState),
                    on_submit=TeamSettingsFormState.submit,
                    label="Team settings",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        aria_labelledby="settings-heading",
        width="100%",
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
    return rx.el.section(
        rx.vstack(
            rx.heading("Audit log", as_="h2", size="5", id="audit-heading"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *(rx.table.column_header_cell(title) for title in ("When", "Who", "What", "Whom"))
                    )
                ),
                rx.table.body(rx.foreach(TeamState.audit, _audit_row)),
                width="100%",
                size="1",
            ),
            spacing="3",
            width="100%",
        ),
        aria_labelledby="audit-heading",
        width="100%",
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
    return rx.el.section(
        rx.vstack(
            rx.heading("Leave or delete", as_="h2", size="5", id="danger-heading"),
            rx.hstack(leave, rx.cond(TeamState.is_owner, delete), spacing="3"),
            spacing="3",
            width="100%",
        ),
        aria_labelledby="danger-heading",
        width="100%",
    )
