"""A team's page: members and roles, invitations, settings, audit log, leave and delete.

It updates live: a change made elsewhere (by another member, in another tab, or over REST) is
pushed to it by `teamsapp.ui.live`.
"""

from __future__ import annotations

import reflex as rx

from teamsapp.ui import routes
from teamsapp.ui.components.layout import alert, loading, page
from teamsapp.ui.pages.team.invitations import invitations_section
from teamsapp.ui.pages.team.members import members_section
from teamsapp.ui.pages.team.settings import audit_section, danger_section, settings_section
from teamsapp.ui.pages.team.state import TeamState

__all__ = ["TeamState", "team_page"]


def _team() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge("Your role: ", TeamState.role, size="2", variant="surface", high_contrast=True),
            rx.cond(TeamState.description != "", rx.text(TeamState.description, color_scheme="gray")),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        members_section(),
        rx.cond(
            TeamState.can_manage, rx.fragment(invitations_section(), settings_section(), audit_section())
        ),
        danger_section(),
        spacing="6",
        width="100%",
    )


def _gone() -> rx.Component:
    return rx.vstack(
        alert(TeamState.gone, color="amber", icon="info"),
        rx.link("Back to your teams", href=routes.TEAMS),
        spacing="3",
        width="100%",
    )


@rx.page(route=routes.TEAM, title="Team · teamsapp", on_load=TeamState.load)
def team_page() -> rx.Component:
    """The team page."""
    return page(
        rx.cond(TeamState.name != "", TeamState.name, "Team"),
        rx.cond(
            TeamState.gone != "",
            _gone(),
            rx.cond(TeamState.loaded, _team(), loading("Loading the team")),
        ),
        width="4",
    )
