"""The team page's member list: roles, role changes and removal, as the viewer may do them."""

from __future__ import annotations

from typing import Any

import reflex as rx

from teamsapp.ui.pages.team.state import TeamState


def confirm(
    trigger: rx.Component, title: str | rx.Var[str], text: str | rx.Var[str], action: str, on_confirm: object
) -> rx.Component:
    """A destructive action behind an 'Are you sure?' dialog."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(text),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(action, color_scheme="red", high_contrast=True, on_click=on_confirm)
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
    )


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
    return rx.el.section(
        rx.vstack(
            rx.heading("Members", as_="h2", size="5", id="members-heading"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Member"),
                        rx.table.column_header_cell("Role"),
                        rx.table.column_header_cell("Actions"),
                    )
                ),
                rx.table.body(rx.foreach(TeamState.members, _row)),
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        aria_labelledby="members-heading",
        width="100%",
    )
