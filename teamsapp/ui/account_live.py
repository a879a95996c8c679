"""Live updates of account changes: open /admin tabs re-read, and a signed-out user's tabs log out.

`teamsapp.core.events` dispatches `AccountChanged` after the commit of an admin change or an account
deletion, whichever door made it. Every open /admin tab re-reads its page through the admin service
as its own logged-in user (a tab whose user is no longer a superuser turns into the not-found page).
When the account's sessions ended, each of its open tabs is sent one event, `SessionCheckState.recheck`,
which the tab runs like any other: it checks its own cookie and, finding no live log-in, goes to the
log-in page. The push itself carries no data and no authority.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from reflex.event import Event, EventSpec
from reflex.state import StateUpdate

from teamsapp.core import events
from teamsapp.core.errors import DomainError
from teamsapp.core.events import AccountChanged
from teamsapp.ui import tabs
from teamsapp.ui.live import PUSH_TIMEOUT_SECONDS, _connected
from teamsapp.ui.pages.admin import ADMIN_TABS, AdminState
from teamsapp.ui.pages.settings_account import DeleteAccountState
from teamsapp.ui.state.auth import AuthState, acting, failure

logger = logging.getLogger(__name__)


class SessionCheckState(rx.State):
    """The check a tab is asked to run when its user's sessions were ended elsewhere."""

    @rx.event
    async def recheck(self) -> EventSpec | None:
        """Check this tab's log-in again; without one, go to the log-in page."""
        auth = await self.get_state(AuthState)
        deletion = await self.get_state(DeleteAccountState)
        # A tab that deleted its own account says so itself, then leaves.
        if not auth.logged_in or deletion.deleted:
            return None
        try:
            async with acting(self):
                pass
        except DomainError as error:
            return await failure(self, error)
        return None


async def _refresh_admin_tab(app: rx.App, token: str) -> None:
    if not await _connected(app, token):
        return
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=AdminState)) as root:
        admin = await root.get_state(AdminState)
        await admin._live()


async def _ask_to_recheck(app: rx.App, token: str) -> None:
    if app.event_namespace is None or not await _connected(app, token):
        return
    # The handler as an event for the client to send back (mypy sees the decorated handler's type).
    recheck: Any = SessionCheckState.recheck
    update = StateUpdate(events=Event.from_event_type([recheck]))
    await app.event_namespace.emit_update(update, token)


async def _guarded(work: Awaitable[None]) -> None:
    try:
        await asyncio.wait_for(work, PUSH_TIMEOUT_SECONDS)
    except (TimeoutError, RedisError) as error:
        logger.warning("live update of a tab skipped (%s)", error.__class__.__name__)


async def push_account_change(app: rx.App, change: AccountChanged) -> None:
    """Refresh every open /admin tab and, when its sessions ended, log out the account's tabs."""
    try:
        admin_tabs = await tabs.of_group(ADMIN_TABS)
        user_tabs = await tabs.of_users([change.user_id]) if change.signed_out else {}
    except RedisError:
        logger.warning("live update skipped: Redis is unavailable")
        return
    await asyncio.gather(
        *(_guarded(_refresh_admin_tab(app, token)) for token in admin_tabs),
        *(_guarded(_ask_to_recheck(app, token)) for token in user_tabs),
    )


@contextlib.asynccontextmanager
async def account_updates(app: rx.App) -> AsyncIterator[None]:
    """Lifespan task: subscribe this worker to account changes for as long as it runs."""

    async def handler(change: events.Event) -> None:
        if isinstance(change, AccountChanged):
            await push_account_change(app, change)

    events.subscribe(handler)
    yield
