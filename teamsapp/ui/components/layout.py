"""The page shell (navigation bar, main landmark, appearance sync) and the pieces pages are made of."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from teamsapp.ui import routes
from teamsapp.ui.appearance import appearance_sync
from teamsapp.ui.state.auth import AuthState


def _team_switcher() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("users", aria_hidden="true"), "Teams", variant="soft", aria_label="Switch team"
            ),
        ),
        rx.menu.content(
            rx.foreach(
                AuthState.teams,
                lambda team: rx.menu.item(
                    team["name"], on_select=rx.redirect(f"{routes.TEAMS}/{team['id']}")
                ),
            ),
            rx.cond(AuthState.teams.length() > 0, rx.menu.separator()),
            rx.menu.item("All teams", on_select=rx.redirect(routes.TEAMS)),
        ),
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", aria_hidden="true"),
                AuthState.username,
                variant="ghost",
                aria_label="Account menu",
            ),
        ),
        rx.menu.content(
            rx.box(
                rx.text(AuthState.full_name, size="2", weight="medium"),
                padding_x="0.75em",
                padding_y="0.25em",
            ),
            rx.menu.item("Settings", on_select=rx.redirect(routes.SETTINGS)),
            rx.menu.item("Appearance", on_select=rx.redirect(routes.APPEARANCE)),
            rx.menu.separator(),
            rx.menu.item("Log out", on_select=AuthState.logout),
        ),
    )


def navbar() -> rx.Component:
    """The top bar: the brand, and either the team switcher and user menu or the log-in links."""
    signed_in = rx.hstack(_team_switcher(), _user_menu(), spacing="4", align="center")
    signed_out = rx.hstack(
        rx.link("Log in", href=routes.LOGIN),
        rx.button("Sign up", on_click=rx.redirect(routes.SIGNUP), size="2"),
        spacing="4",
        align="center",
    )
    return rx.el.header(
        rx.el.nav(
            rx.hstack(
                rx.link(rx.text("teamsapp", size="5", weight="bold"), href=routes.HOME, underline="none"),
                rx.cond(AuthState.known, rx.cond(AuthState.logged_in, signed_in, signed_out)),
                justify="between",
                align="center",
                width="100%",
            ),
            aria_label="Main",
        ),
        padding_x="1.5em",
        padding_y="0.75em",
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
    )


def page(title: str | rx.Var[str], *children: rx.Component, width: str = "3") -> rx.Component:
    """A page: navigation, a main landmark with the page's heading, and the user's appearance."""
    return rx.fragment(
        appearance_sync(theme=AuthState.theme, accent=AuthState.accent_color),
        navbar(),
        rx.el.main(
            rx.container(
                rx.vstack(rx.heading(title, as_="h1", size="7"), *children, spacing="5", width="100%"),
                size=width,
                padding_y="2em",
            ),
            # Set once the page's load events ran: tests wait for it before typing.
            custom_attrs={"data-ready": rx.cond(rx.State.is_hydrated, "true", "false")},
        ),
    )


def loading(label: str = "Loading") -> rx.Component:
    """A spinner with a name for screen readers."""
    return rx.center(rx.spinner(size="3", aria_label=label), role="status", padding="2em", width="100%")


def alert(message: rx.Var[str], *, color: str = "red", icon: str = "triangle-alert") -> rx.Component:
    """A message about the whole form or page, read out when it appears."""
    return rx.cond(
        message != "",
        rx.callout(message, icon=icon, color_scheme=color, high_contrast=True, role="alert", width="100%"),
    )


def notice(message: str | rx.Component, *, icon: str = "circle-check") -> rx.Component:
    """Good news about the whole page (a link mailed, an address confirmed), read out politely."""
    return rx.callout(
        message, icon=icon, color_scheme="green", high_contrast=True, role="status", width="100%"
    )


def section(title: str, anchor: str, *children: rx.Component, card: bool = False) -> rx.Component:
    """A part of a page named by its heading (`anchor` is the heading's id), optionally on a card."""
    body = rx.vstack(rx.heading(title, as_="h2", size="5", id=anchor), *children, spacing="3", width="100%")
    return rx.el.section(rx.card(body, width="100%") if card else body, aria_labelledby=anchor, width="100%")


def table(
    columns: tuple[str, ...], rows: rx.Var[Any], row: Callable[[Any], rx.Component], **props: Any
) -> rx.Component:
    """A full-width table with a header cell per column and a row per item of `rows`."""
    return rx.table.root(
        rx.table.header(rx.table.row(*(rx.table.column_header_cell(title) for title in columns))),
        rx.table.body(rx.foreach(rows, row)),
        width="100%",
        **props,
    )


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
