"""The team page's member list: roles, role changes and removal, as the viewer may do them."""

from __future__ import annotations

from typing import Any

import reflex as rx

from teamsapp.ui.components.layout import confirm, section, table
from teamsapp.ui.pages.team.state import TeamState


def _role_cell(member: Any) -> rx.Component:
    return rx.cond(
        member.role_choices.length() > 0,
        rx.select(
            member.role_choices,
            value=member.role,
            on_change=TeamState.change_role(member.user_id),
            disabled=TeamState.busy != "",
            custom_attrs={"aria-label": "Role of " + member.username},
            size="2",
        ),
        rx.badge(member.role, variant="soft", high_contrast=True),
    )


def _actions_cell(member: Any) -> rx.Component:
    removing = TeamState.busy == "remove:" + member.user_id
    return rx.cond(
        member.removable,
        confirm(
            rx.button(
                "Remove",
                size="1",
                variant="soft",
                color_scheme="red",
                high_contrast=True,
                loading=removing,
                aria_label="Remove " + member.username,
            ),
            "Remove " + member.username + "?",
            "They lose access to this team at once. You can invite them again later.",
            "Remove",
            TeamState.remove_member(member.user_id),
        ),
    )


def _row(member: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(member.full_name, weight="medium"),
                rx.text(
                    "@" + member.username, rx.cond(member.is_me, " (you)", ""), size="1", color_scheme="gray"
                ),
                spacing="0",
            )
        ),
        rx.table.cell(_role_cell(member)),
        rx.table.cell(_actions_cell(member)),
        align="center",
    )


def members_section() -> rx.Component:
    """The members table."""
    return section(
        "Members", "members-heading", table(("Member", "Role", "Actions"), TeamState.members, _row)
    )
