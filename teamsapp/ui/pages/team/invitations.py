"""The team page's invitations: create (by email or as a link), copy the link, disable, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.invitations import service as invitation_service
from teamsapp.invitations.schemas import InvitationCreate
from teamsapp.ui.components.forms import field, form, role_select
from teamsapp.ui.components.layout import section, table
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.pages.team.state import InvitationRow, TeamState
from teamsapp.ui.state.auth import acting

FORM = "invite"


class InvitationFormState(FormMixin, rx.State):
    """The form that creates an invitation, and the link of the one just created (shown once)."""

    _schema = InvitationCreate
    _optional = ("email", "ttl_hours", "max_uses", "role")
    link: rx.Field[str] = rx.field("")

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Create the invitation through the invitation service; a bound one is mailed."""
        team = await self.get_state(TeamState)
        data = self._parse({**form_data, "team_id": team.team_key}, InvitationCreate)
        if data is None:
            return
        self.link = ""

        async def create() -> list[EventSpec]:
            async with acting(self) as (session, principal):
                created = await invitation_service.create_invitation(session, actor=principal.user, data=data)
                await team._load(session, principal, data.team_id)
            self.link = created.link
            sent = f" and mailed to {created.email}" if created.email else ""
            return [rx.toast.success(f"Invitation created{sent}.")]

        async for event in self._submit(create):
            yield event

    @rx.event
    async def copy_link(self) -> list[EventSpec]:
        """Put the new invitation's link on the clipboard."""
        if not self.link:
            return [rx.toast.error("There is no new link to copy.")]
        return [rx.set_clipboard(self.link), rx.toast.success("Link copied.")]


def _create_form() -> rx.Component:
    return form(
        InvitationFormState,
        rx.grid(
            role_select("role", "Role", form=FORM, default=TeamState.default_role),
            field(
                InvitationFormState,
                "email",
                "Email (optional)",
                form=FORM,
                kind="email",
                hint="Leave empty for a link anyone can use.",
            ),
            field(
                InvitationFormState,
                "ttl_hours",
                "Valid for (hours)",
                form=FORM,
                kind="number",
                hint="Empty: the team's default.",
            ),
            field(InvitationFormState, "max_uses", "Maximum uses (optional)", form=FORM, kind="number"),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        submit="Create invitation",
        on_submit=InvitationFormState.submit,
        label="New invitation",
    )


def _new_link() -> rx.Component:
    return rx.cond(
        InvitationFormState.link != "",
        rx.callout.root(
            rx.callout.text("Here is the new invitation link. It is shown only now: copy it."),
            rx.hstack(
                rx.input(
                    value=InvitationFormState.link,
                    read_only=True,
                    id="invite-link",
                    width="100%",
                    aria_label="New invitation link",
                ),
                rx.button("Copy link", on_click=InvitationFormState.copy_link, high_contrast=True),
                width="100%",
            ),
            color_scheme="green",
            high_contrast=True,
            width="100%",
        ),
    )


STATUS_COLORS = {"active": "green", "disabled": "gray", "expired": "amber", "used up": "gray"}


def _row(item: InvitationRow) -> rx.Component:
    toggling = TeamState.busy == "toggle:" + item.id
    deleting = TeamState.busy == "delete:" + item.id
    return rx.table.row(
        rx.table.cell(item.email),
        rx.table.cell(item.role),
        rx.table.cell(
            rx.badge(item.status, color_scheme=rx.match(item.status, *STATUS_COLORS.items(), "gray"))
        ),
        rx.table.cell(item.uses),
        rx.table.cell(item.expires_at),
        rx.table.cell(
            rx.cond(
                item.manageable,
                rx.hstack(
                    rx.button(
                        rx.cond(item.status == "disabled", "Enable", "Disable"),
                        size="1",
                        variant="soft",
                        loading=toggling,
                        on_click=TeamState.toggle_invitation(item.id),
                        aria_label=rx.cond(
                            item.status == "disabled",
                            "Enable invitation for " + item.email,
                            "Disable invitation for " + item.email,
                        ),
                    ),
                    rx.button(
                        "Delete",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        high_contrast=True,
                        loading=deleting,
                        on_click=TeamState.delete_invitation(item.id),
                        aria_label="Delete invitation for " + item.email,
                    ),
                ),
            ),
        ),
    )


def invitations_section() -> rx.Component:
    """Invitations: the form, the new link, and every invitation with its status."""
    return section(
        "Invitations",
        "invitations-heading",
        _create_form(),
        _new_link(),
        rx.cond(
            TeamState.invitations.length() > 0,
            table(("For", "Role", "Status", "Uses", "Expires", "Actions"), TeamState.invitations, _row),
            rx.text("No invitations yet.", color_scheme="gray"),
        ),
    )
