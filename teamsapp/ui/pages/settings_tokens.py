"""Settings: personal API tokens (create with scopes and a lifetime, shown once; list; revoke).

The secret never enters the state: the creating handler sends it to the browser once, as the value
of a read-only field (`rx.set_value`), and "Done" empties that field again. The copy button copies
it in the browser, so it makes no second trip to the server either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from teamsapp.core.errors import DomainError
from teamsapp.models.base import utcnow
from teamsapp.personal_tokens import service as api_token_service
from teamsapp.personal_tokens.schemas import LIFETIME_DAYS_DEFAULT, ApiTokenCreate, ApiTokenPublic, Scope
from teamsapp.ui.components.forms import field, form
from teamsapp.ui.components.layout import confirm, loading, section, table
from teamsapp.ui.forms import FormMixin
from teamsapp.ui.state.auth import acting, failure, parse_id

FORM = "api-token"
SECRET_ID = "api-token-secret"  # noqa: S105  (an element id)
DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%Y-%m-%d %H:%M UTC"
LIFETIMES = (7, 30, 90, 180, 365)
SCOPE_TEXT = {
    Scope.USER_READ: "Read your profile",
    Scope.TEAMS_READ: "Read your teams, members and invitations",
    Scope.TEAMS_WRITE: "Change teams, members and invitations, and accept invitations",
}
CHECKED = {"on", "true", "checked"}
COPY_SCRIPT = f"navigator.clipboard.writeText(document.getElementById({json.dumps(SECRET_ID)}).value)"


def _scope_input(scope: Scope) -> str:
    return "scope_" + scope.value.replace(":", "_")


@dataclasses.dataclass
class TokenRow:
    """One API token as the list shows it (never its secret)."""

    id: str
    name: str
    scopes: str
    prefix: str
    created_at: str
    expires_at: str
    last_used_at: str
    expired: bool


def _row_of(token: ApiTokenPublic, now: dt.datetime) -> TokenRow:
    return TokenRow(
        id=str(token.id),
        name=token.name,
        scopes=", ".join(token.scopes) or "none",
        prefix=f"{api_token_service.TOKEN_PREFIX}{token.prefix}…",
        created_at=token.created_at.strftime(DATE_FORMAT),
        expires_at=token.expires_at.strftime(DATE_FORMAT),
        last_used_at=token.last_used_at.strftime(TIME_FORMAT) if token.last_used_at else "Never",
        expired=token.expires_at <= now,
    )


class ApiTokensState(FormMixin, rx.State):
    """The user's API tokens, the form that creates one, and whether a new secret is on screen."""

    _schema = ApiTokenCreate
    tokens: rx.Field[list[TokenRow]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    busy: rx.Field[str] = rx.field("")
    # Only that a secret is on screen, and the name of its token: the secret itself is not state.
    shown: rx.Field[str] = rx.field("")

    async def _list(self) -> None:
        async with acting(self) as (session, principal):
            listed = await api_token_service.list_tokens(session, actor=principal.user)
        now = utcnow()
        self.tokens = [_row_of(token, now) for token in listed]
        self.loaded = True

    @rx.event
    async def load(self) -> EventSpec | None:
        """When the section appears: the log-in check and the list."""
        self.busy = ""
        self.shown = ""
        try:
            await self._list()
        except DomainError as error:
            return await failure(self, error)
        return None

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Create a token through the token service and show its secret once."""
        if not isinstance(form_data, dict):
            return
        values = {
            "name": form_data.get("name", ""),
            "expires_in_days": form_data.get("expires_in_days") or LIFETIME_DAYS_DEFAULT,
            "scopes": [
                scope for scope in Scope if str(form_data.get(_scope_input(scope), "")).lower() in CHECKED
            ],
        }
        data = self._parse(values, ApiTokenCreate)
        if data is None:
            return
        self.shown = ""

        async def create() -> list[EventSpec]:
            async with acting(self) as (session, principal):
                created = await api_token_service.create_token(session, actor=principal.user, data=data)
            await self._list()
            self.shown = created.name
            return [
                rx.set_value(SECRET_ID, created.token),
                rx.set_value(f"{FORM}-name", ""),
                rx.toast.success(f"Token “{created.name}” created. Copy it now."),
            ]

        async for event in self._submit(create):
            yield event

    @rx.event
    async def dismiss(self) -> EventSpec:
        """Hide the new secret for good: it is cleared from the page."""
        self.shown = ""
        return rx.set_value(SECRET_ID, "")

    @rx.event
    async def revoke(self, token_id: str) -> AsyncIterator[EventSpec | None]:
        """Revoke one of the user's tokens through the token service; it stops working at once."""
        target = parse_id(token_id)
        if target is None or self.busy:
            return
        self.busy = str(target)
        yield None
        try:
            async with acting(self) as (session, principal):
                await api_token_service.revoke_token(session, actor=principal.user, token_id=target)
            await self._list()
        except DomainError as error:
            self.busy = ""
            yield await failure(self, error)
            return
        self.busy = ""
        yield rx.toast.success("Token revoked. Programs using it are refused from now on.")


def _scopes() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(rx.text("Scopes", weight="medium", size="2")),
        rx.vstack(
            *(
                rx.checkbox(
                    f"{scope.value}: {SCOPE_TEXT[scope]}",
                    name=_scope_input(scope),
                    id=f"{FORM}-{_scope_input(scope).replace('_', '-')}",
                )
                for scope in Scope
            ),
            spacing="2",
            padding_top="0.5em",
        ),
        border="none",
        padding="0",
        margin="0",
    )


def _lifetime() -> rx.Component:
    select_id = f"{FORM}-expires-in-days"
    return rx.vstack(
        rx.el.label(rx.text("Expires after", weight="medium", size="2"), html_for=select_id),
        rx.select.root(
            rx.select.trigger(id=select_id),
            rx.select.content(*(rx.select.item(f"{days} days", value=str(days)) for days in LIFETIMES)),
            name="expires_in_days",
            default_value=str(LIFETIME_DAYS_DEFAULT),
        ),
        spacing="1",
    )


def _create_form() -> rx.Component:
    return form(
        ApiTokensState,
        field(
            ApiTokensState, "name", "Token name", form=FORM, hint="What the token is for, e.g. “CI deploy”."
        ),
        _scopes(),
        _lifetime(),
        submit="Create token",
        on_submit=ApiTokensState.submit,
        label="Create an API token",
    )


def _new_secret() -> rx.Component:
    # Always on the page (hidden until a token is made) so the secret can be put into its field.
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.vstack(
            rx.callout.text(
                "Copy your new token “",
                ApiTokensState.shown,
                "” now. It is shown only this once and cannot be seen again; treat it like a password.",
            ),
            rx.hstack(
                rx.input(read_only=True, id=SECRET_ID, width="100%", aria_label="Your new API token"),
                rx.button(
                    "Copy token",
                    # Copied in the browser: the secret makes no second trip to the server.
                    on_click=[
                        rx.call_script(COPY_SCRIPT),
                        rx.toast.success("Token copied to the clipboard."),
                    ],
                    high_contrast=True,
                ),
                rx.button(
                    "Done", variant="soft", on_click=ApiTokensState.dismiss, aria_label="Done, hide the token"
                ),
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        color_scheme="amber",
        high_contrast=True,
        width="100%",
        display=rx.cond(ApiTokensState.shown != "", "flex", "none"),
    )


def _row(row: TokenRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(row.scopes),
        rx.table.cell(rx.code(row.prefix, variant="ghost")),
        rx.table.cell(row.created_at),
        rx.table.cell(
            rx.cond(row.expired, rx.badge("Expired", color_scheme="red", high_contrast=True), row.expires_at)
        ),
        rx.table.cell(row.last_used_at),
        rx.table.cell(
            confirm(
                rx.button(
                    "Revoke",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    high_contrast=True,
                    loading=ApiTokensState.busy == row.id,
                    aria_label="Revoke token " + row.name,
                ),
                "Revoke this token?",
                "Programs using “" + row.name + "” are refused from their next call. This cannot be undone.",
                "Revoke token",
                ApiTokensState.revoke(row.id),
            )
        ),
    )


def api_tokens_section() -> rx.Component:
    """The settings section for personal API tokens."""
    return rx.box(
        section(
            "API tokens",
            "api-tokens-heading",
            rx.text(
                "Programs can call the REST API with a personal token instead of your password. "
                "A token can do only what its scopes allow, and never manage your password, email, "
                "sessions or tokens."
            ),
            _create_form(),
            _new_secret(),
            rx.cond(
                ApiTokensState.loaded,
                rx.cond(
                    ApiTokensState.tokens.length() > 0,
                    table(
                        ("Name", "Scopes", "Prefix", "Created", "Expires", "Last used", "Action"),
                        ApiTokensState.tokens,
                        _row,
                        size="1",
                    ),
                    rx.text("No API tokens yet.", color_scheme="gray"),
                ),
                loading("Loading your API tokens"),
            ),
            card=True,
        ),
        on_mount=ApiTokensState.load,
        width="100%",
    )
