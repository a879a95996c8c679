"""Accept an invitation: shows the team and role; a logged-out visitor logs in or signs up first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.invitations import service as invitation_service
from teamsapp.invitations.schemas import InvitationAccept
from teamsapp.ui import routes
from teamsapp.ui.components.layout import alert, loading, page
from teamsapp.ui.state.auth import AuthState, acting, failure


class InviteState(rx.State):
    """What the invitation offers, and the accept action; the token stays on the server."""

    team_name: rx.Field[str] = rx.field("")
    role: rx.Field[str] = rx.field("")
    email: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    message: rx.Field[str] = rx.field("")
    loaded: rx.Field[bool] = rx.field(False)
    running: rx.Field[bool] = rx.field(False)
    _token: str = ""

    @rx.var
    def here(self) -> str:
        """This page's address, to come back to after logging in or signing up."""
        return routes.invite(self.router.url.query_parameters.get("token", ""))

    @rx.var
    def login_link(self) -> str:
        """Log in, then back here."""
        return routes.login(self.here)

    @rx.var
    def signup_link(self) -> str:
        """Sign up, then back here after the first log-in."""
        return routes.signup(self.here)

    @rx.event
    async def load(self) -> None:
        """Read the invitation through the invitation service (no log-in needed to see it)."""
        self.team_name = self.role = self.email = self.status = self.message = ""
        self.loaded = False
        self.running = False
        self._token = self.router.url.query_parameters.get("token", "")
        try:
            request = InvitationAccept(token=self._token)
            async with session_scope() as session:
                preview = await invitation_service.preview_invitation(session, token=request.token)
        except DomainError as error:
            self.message = error.detail
            return
        except ValueError:
            self.message = "This page needs the link from an invitation."
            return
        self.team_name = preview.team_name
        self.role = preview.role.value
        self.email = preview.email or ""
        self.status = preview.status.value
        self.loaded = True

    @rx.event
    async def accept(self) -> AsyncIterator[EventSpec | None]:
        """Join the team as the logged-in user; the invitation service checks everything."""
        if self.running or not self._token:
            return
        self.running = True
        yield None
        try:
            async with acting(self) as (session, principal):
                team = await invitation_service.accept_invitation(
                    session, actor=principal.user, token=self._token
                )
                await (await self.get_state(AuthState))._load_teams(session, principal)
        except DomainError as error:
            self.running = False
            yield await failure(self, error)
            return
        self.running = False
        yield rx.toast.success(f"Welcome to {team.name}.")
        yield rx.redirect(routes.team(team.id))


def _offer() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.data_list.root(
                rx.data_list.item(rx.data_list.label("Team"), rx.data_list.value(InviteState.team_name)),
                rx.data_list.item(rx.data_list.label("Role"), rx.data_list.value(InviteState.role)),
                rx.cond(
                    InviteState.email != "",
                    rx.data_list.item(rx.data_list.label("For"), rx.data_list.value(InviteState.email)),
                ),
                rx.data_list.item(
                    rx.data_list.label("Status"),
                    rx.data_list.value(rx.badge(InviteState.status.replace("_", " "), high_contrast=True)),
                ),
            ),
            width="100%",
        ),
        rx.cond(
            InviteState.status == "active",
            rx.cond(
                AuthState.logged_in,
                rx.button(
                    "Accept invitation",
                    on_click=InviteState.accept,
                    loading=InviteState.running,
                    disabled=InviteState.running,
                    size="3",
                ),
                rx.vstack(
                    rx.text("Log in or create an account to accept; you will come back here."),
                    rx.hstack(
                        rx.button("Log in to accept", on_click=rx.redirect(InviteState.login_link)),
                        rx.button(
                            "Sign up to accept", variant="soft", on_click=rx.redirect(InviteState.signup_link)
                        ),
                        spacing="3",
                    ),
                    spacing="3",
                ),
            ),
            rx.text("This invitation can no longer be accepted. Ask for a new one."),
        ),
        spacing="4",
        width="100%",
    )


@rx.page(route=routes.INVITE, title="Invitation · teamsapp", on_load=[AuthState.peek, InviteState.load])
def invite_page() -> rx.Component:
    """The page invitation links lead to."""
    return page(
        "You are invited",
        alert(InviteState.message),
        rx.cond(
            InviteState.loaded,
            _offer(),
            rx.cond(InviteState.message == "", loading("Reading the invitation")),
        ),
        width="2",
    )
