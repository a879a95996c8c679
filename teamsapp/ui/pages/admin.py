"""/admin: the superusers' console (SPEC 14): a searchable, paged table of accounts with their
actions, and the admin audit log. Everyone else sees the not-found page.

Every handler authenticates the caller and calls the admin service, which refuses anyone but a
superuser (the same functions as the REST routes). The page updates live: an admin change made
anywhere is pushed to every open /admin tab by `teamsapp.ui.account_live`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.admin import service as admin_service
from teamsapp.admin.schemas import QUERY_MAX, AdminAuditEventPublic, AdminUser, AdminUserUpdate
from teamsapp.auth.service import Principal
from teamsapp.core.errors import DomainError, PermissionDenied
from teamsapp.ui import routes, tabs
from teamsapp.ui.components.layout import loading, page, section, table
from teamsapp.ui.pages.not_found import not_found_body
from teamsapp.ui.state.auth import AuthState, acting, failure, parse_id

ADMIN_TABS = "admin"
USERS_PAGE = 20
AUDIT_PAGE = 20
TIME_FORMAT = "%Y-%m-%d %H:%M UTC"
FLAGS = {"is_active", "is_verified", "is_superuser"}
DONE = {
    ("is_active", True): "Account activated.",
    ("is_active", False): "Account deactivated; its sessions have ended.",
    ("is_verified", True): "Email address marked as verified.",
    ("is_verified", False): "Email address marked as not verified.",
    ("is_superuser", True): "Superuser rights granted.",
    ("is_superuser", False): "Superuser rights removed.",
}


@dataclasses.dataclass
class UserRow:
    """An account as the table shows it."""

    id: str
    username: str
    full_name: str
    email: str
    active: bool
    verified: bool
    superuser: bool
    two_factor: bool
    last_seen: str
    is_me: bool


@dataclasses.dataclass
class AdminAuditRow:
    """One line of the admin audit log."""

    id: str
    when: str
    actor: str
    action: str
    target: str
    change: str


def _user_row(user: AdminUser, me: uuid.UUID) -> UserRow:
    return UserRow(
        id=str(user.id),
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        active=user.is_active,
        verified=user.is_verified,
        superuser=user.is_superuser,
        two_factor=user.two_factor_enabled,
        last_seen=user.last_seen_at.strftime(TIME_FORMAT) if user.last_seen_at else "never",
        is_me=user.id == me,
    )


def _change(details: dict[str, Any]) -> str:
    parts = [
        f"{name}: {change['from']} → {change['to']}" for name, change in details.get("changes", {}).items()
    ]
    if "sessions_ended" in details:
        parts.append(f"sessions ended: {details['sessions_ended']}")
    return "; ".join(parts)


def _audit_row(event: AdminAuditEventPublic) -> AdminAuditRow:
    return AdminAuditRow(
        id=str(event.id),
        when=event.created_at.strftime(TIME_FORMAT),
        actor=event.actor_username,
        action=event.action,
        target=event.target_username,
        change=_change(event.details),
    )


class AdminState(rx.State):
    """The /admin page."""

    loaded: rx.Field[bool] = rx.field(False)
    denied: rx.Field[bool] = rx.field(False)
    query: rx.Field[str] = rx.field("")
    offset: rx.Field[int] = rx.field(0)
    total: rx.Field[int] = rx.field(0)
    users: rx.Field[list[UserRow]] = rx.field(default_factory=list)
    audit: rx.Field[list[AdminAuditRow]] = rx.field(default_factory=list)
    audit_offset: rx.Field[int] = rx.field(0)
    audit_total: rx.Field[int] = rx.field(0)
    busy: rx.Field[str] = rx.field("")

    @rx.var
    def range_text(self) -> str:
        """Which accounts the table shows ("Accounts 1 to 20 of 45")."""
        if self.total == 0:
            return "No accounts match."
        return f"Accounts {self.offset + 1} to {min(self.offset + USERS_PAGE, self.total)} of {self.total}"

    @rx.var
    def audit_range_text(self) -> str:
        """Which entries of the log are shown."""
        if self.audit_total == 0:
            return "No admin actions yet."
        end = min(self.audit_offset + AUDIT_PAGE, self.audit_total)
        return f"Entries {self.audit_offset + 1} to {end} of {self.audit_total}, newest first"

    @rx.var
    def has_previous(self) -> bool:
        """Whether there is a page of accounts before this one."""
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        """Whether there is a page of accounts after this one."""
        return self.offset + USERS_PAGE < self.total

    @rx.var
    def audit_has_previous(self) -> bool:
        """Whether there are newer log entries."""
        return self.audit_offset > 0

    @rx.var
    def audit_has_next(self) -> bool:
        """Whether there are older log entries."""
        return self.audit_offset + AUDIT_PAGE < self.audit_total

    def _clear(self) -> None:
        self.users, self.audit = [], []
        self.total = self.audit_total = 0
        self.loaded = False
        self.busy = ""

    async def _read(self, session: AsyncSession, principal: Principal) -> None:
        actor = principal.user
        users = await admin_service.list_users(
            session, actor=actor, q=self.query, limit=USERS_PAGE, offset=self.offset
        )
        if not users.items and users.total and self.offset:
            # The page emptied (a search or a change elsewhere): show the last page there is.
            self.offset = max(0, (users.total - 1) // USERS_PAGE * USERS_PAGE)
            users = await admin_service.list_users(
                session, actor=actor, q=self.query, limit=USERS_PAGE, offset=self.offset
            )
        log = await admin_service.list_audit(session, actor=actor, limit=AUDIT_PAGE, offset=self.audit_offset)
        self.users = [_user_row(user, actor.id) for user in users.items]
        self.total = users.total
        self.audit = [_audit_row(event) for event in log.items]
        self.audit_total = log.total
        self.loaded = True
        self.denied = False

    def _deny(self) -> None:
        self._clear()
        self.query = ""
        self.denied = True

    async def _reload(self, *, page_load: bool = False) -> EventSpec | None:
        try:
            async with acting(self, page_load=page_load) as (session, principal):
                await self._read(session, principal)
            if page_load:
                auth = await self.get_state(AuthState)
                await tabs.join_group(ADMIN_TABS, auth.router.session.client_token)
        except PermissionDenied:
            self._deny()
        except DomainError as error:
            return await failure(self, error)
        return None

    @rx.event
    async def load(self) -> EventSpec | None:
        """On page load: the first page of accounts and of the log, for superusers only."""
        self._clear()
        self.denied = False
        self.query, self.offset, self.audit_offset = "", 0, 0
        return await self._reload(page_load=True)

    async def _live(self) -> None:
        """Re-read after an admin change pushed from elsewhere (another superuser, tab or REST)."""
        if not self.loaded and not self.denied:
            return
        try:
            async with acting(self) as (session, principal):
                await self._read(session, principal)
        except PermissionDenied:
            self._deny()
        except DomainError:
            return

    @rx.event
    async def search(self, form_data: dict[str, Any]) -> EventSpec | None:
        """Show the accounts whose email, username or full name contain the text."""
        self.query = str(form_data.get("q", ""))[:QUERY_MAX].replace("\x00", "")
        self.offset = 0
        return await self._reload()

    @rx.event
    async def turn_page(self, forward: bool) -> EventSpec | None:
        """The next or the previous page of accounts."""
        self.offset = max(0, self.offset + (USERS_PAGE if forward else -USERS_PAGE))
        return await self._reload()

    @rx.event
    async def turn_audit_page(self, forward: bool) -> EventSpec | None:
        """Older or newer entries of the log."""
        self.audit_offset = max(0, self.audit_offset + (AUDIT_PAGE if forward else -AUDIT_PAGE))
        return await self._reload()

    async def _act(self, busy: str, work: Any, success: str) -> AsyncIterator[EventSpec | None]:
        if self.busy:
            return
        self.busy = busy
        yield None
        try:
            async with acting(self) as (session, principal):
                await work(session, principal.user)
                await self._read(session, principal)
        except PermissionDenied as error:
            # Perhaps no longer a superuser: reading again shows the not-found page if so.
            self.busy = ""
            yield rx.toast.error(error.detail)
            yield await self._reload()
            return
        except DomainError as error:
            self.busy = ""
            yield await failure(self, error)
            return
        self.busy = ""
        yield rx.toast.success(success)

    @rx.event
    async def change(self, user_id: str, field: str, value: bool) -> AsyncIterator[EventSpec | None]:
        """Set one flag of an account (active, verified, superuser) through the admin service."""
        target = parse_id(user_id)
        if target is None or field not in FLAGS or not isinstance(value, bool):
            yield rx.toast.error("That is not an account or a change.")
            return
        data = AdminUserUpdate.model_validate({field: value})

        async def work(session: AsyncSession, actor: Any) -> None:
            await admin_service.update_user(session, actor=actor, user_id=target, data=data)

        async for event in self._act(f"{field}:{target}", work, DONE[(field, value)]):
            yield event

    @rx.event
    async def end_sessions(self, user_id: str) -> AsyncIterator[EventSpec | None]:
        """End every session of an account."""
        target = parse_id(user_id)
        if target is None:
            yield rx.toast.error("That is not an account.")
            return

        async def work(session: AsyncSession, actor: Any) -> None:
            await admin_service.end_sessions(session, actor=actor, user_id=target)

        async for event in self._act(f"sessions:{target}", work, "Sessions ended."):
            yield event


def _flag_button(row: UserRow, field: str, on: bool, label: Any, name: Any, **props: Any) -> rx.Component:
    return rx.button(
        label,
        size="1",
        variant="soft",
        white_space="nowrap",
        loading=AdminState.busy == f"{field}:" + row.id,
        on_click=AdminState.change(row.id, field, on),
        aria_label=name,
        **props,
    )


def _actions(row: UserRow) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row.active,
            rx.cond(
                ~row.is_me,
                _flag_button(
                    row, "is_active", False, "Deactivate", "Deactivate " + row.username, color_scheme="red"
                ),
            ),
            _flag_button(row, "is_active", True, "Activate", "Activate " + row.username),
        ),
        rx.cond(
            row.verified,
            _flag_button(row, "is_verified", False, "Unverify", "Mark " + row.username + " as not verified"),
            _flag_button(row, "is_verified", True, "Verify", "Mark " + row.username + " as verified"),
        ),
        rx.cond(
            row.superuser,
            rx.cond(
                ~row.is_me,
                _flag_button(
                    row, "is_superuser", False, "Remove superuser", "Remove superuser from " + row.username
                ),
            ),
            _flag_button(
                row, "is_superuser", True, "Make superuser", "Make " + row.username + " a superuser"
            ),
        ),
        rx.button(
            "End sessions",
            size="1",
            variant="soft",
            color_scheme="red",
            white_space="nowrap",
            loading=AdminState.busy == "sessions:" + row.id,
            on_click=AdminState.end_sessions(row.id),
            aria_label="End every session of " + row.username,
        ),
        spacing="2",
        wrap="wrap",
    )


def _badges(row: UserRow) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row.active,
            rx.badge("active", color_scheme="green", high_contrast=True),
            rx.badge("disabled", color_scheme="red", high_contrast=True),
        ),
        rx.cond(
            row.verified,
            rx.badge("verified", high_contrast=True),
            rx.badge("unverified", color_scheme="gray", high_contrast=True),
        ),
        rx.cond(row.superuser, rx.badge("superuser", color_scheme="purple", high_contrast=True)),
        rx.cond(row.two_factor, rx.badge("2FA", color_scheme="blue", high_contrast=True)),
        spacing="1",
        wrap="wrap",
    )


def _user_row_view(row: UserRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row.username, weight="medium", size="2"),
                rx.text(row.full_name, size="1"),
                rx.text(row.email, size="1", color_scheme="gray", high_contrast=True),
                spacing="0",
            )
        ),
        rx.table.cell(_badges(row)),
        rx.table.cell(row.last_seen),
        rx.table.cell(_actions(row)),
    )


def _pager(text: Any, previous: Any, next_: Any, handler: Any, what: str) -> rx.Component:
    return rx.hstack(
        rx.text(text, size="2", role="status"),
        rx.hstack(
            rx.button(
                "Previous",
                size="1",
                variant="soft",
                disabled=~previous,
                on_click=handler(False),
                aria_label=f"Previous page of {what}",
            ),
            rx.button(
                "Next",
                size="1",
                variant="soft",
                disabled=~next_,
                on_click=handler(True),
                aria_label=f"Next page of {what}",
            ),
            spacing="2",
        ),
        justify="between",
        align="center",
        width="100%",
    )


def _users() -> rx.Component:
    return section(
        "Accounts",
        "accounts-heading",
        rx.form(
            rx.hstack(
                rx.el.label(rx.text("Search accounts", weight="medium", size="2"), html_for="admin-search"),
                rx.input(
                    id="admin-search",
                    name="q",
                    placeholder="email, username or name",
                    max_length=QUERY_MAX,
                    width="16em",
                ),
                rx.button("Search", type="submit"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            on_submit=AdminState.search,
            reset_on_submit=False,
            custom_attrs={"aria-label": "Account search", "role": "search"},
        ),
        table(("Account", "Status", "Last seen", "Actions"), AdminState.users, _user_row_view, size="1"),
        _pager(
            AdminState.range_text,
            AdminState.has_previous,
            AdminState.has_next,
            AdminState.turn_page,
            "accounts",
        ),
    )


def _audit_row_view(row: AdminAuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.when),
        rx.table.cell(row.actor),
        rx.table.cell(row.action),
        rx.table.cell(row.target),
        rx.table.cell(row.change),
    )


def _audit() -> rx.Component:
    return section(
        "Admin audit log",
        "admin-audit-heading",
        table(("When", "Who", "Action", "Account", "Change"), AdminState.audit, _audit_row_view, size="1"),
        _pager(
            AdminState.audit_range_text,
            AdminState.audit_has_previous,
            AdminState.audit_has_next,
            AdminState.turn_audit_page,
            "the audit log",
        ),
    )


@rx.page(route=routes.ADMIN, title="Administration · teamsapp", on_load=AdminState.load)
def admin_page() -> rx.Component:
    """The superusers' console, or the not-found page for anyone else."""
    return page(
        rx.cond(AdminState.denied, "Page not found", "Administration"),
        rx.cond(
            AdminState.denied,
            not_found_body(),
            rx.cond(AdminState.loaded, rx.fragment(_users(), _audit()), loading("Loading the accounts")),
        ),
        width="4",
    )
