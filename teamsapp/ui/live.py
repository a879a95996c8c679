"""Live updates: a committed team change is pushed to the open tabs of everyone it concerns.

`teamsapp.core.events` dispatches `TeamChanged` after the commit, whichever door (REST or UI) made
the change. For each affected user's recent tabs, the tab's state is modified out of band with
`app.modify_state`: it re-reads the team through the services as that tab's own logged-in user
(so a push never shows more than the tab could load itself). Reflex delivers the delta to the
tab's websocket, through Redis ("lost and found") when the tab is connected to another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import reflex as rx
from redis.exceptions import RedisError

from teamsapp.core import events
from teamsapp.core.events import TeamChanged
from teamsapp.ui import tabs
from teamsapp.ui.pages.team.state import TeamState

logger = logging.getLogger(__name__)

PUSH_TIMEOUT_SECONDS = 5


async def _connected(app: rx.App, token: str) -> bool:
    # The token manager knows every worker's sockets (through Redis); it has no public accessor.
    manager = getattr(app.event_namespace, "_token_manager", None)
    if manager is None:
        return True
    return bool(await manager.is_token_connected(token))


async def _push(app: rx.App, token: str, change: TeamChanged) -> None:
    if not await _connected(app, token):
        return
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=TeamState)) as root:
        team = await root.get_state(TeamState)
        await team._live(change.team_id, change.kind)


async def _guarded_push(app: rx.App, token: str, change: TeamChanged) -> None:
    try:
        await asyncio.wait_for(_push(app, token, change), PUSH_TIMEOUT_SECONDS)
    except (TimeoutError, RedisError) as error:
        logger.warning("live update of a tab skipped (%s)", error.__class__.__name__)


async def push_team_change(app: rx.App, change: TeamChanged) -> None:
    """Refresh the open tabs of the users a team change concerns."""
    try:
        open_tabs = await tabs.of_users(change.user_ids)
    except RedisError:
        logger.warning("live update skipped: Redis is unavailable")
        return
    await asyncio.gather(*(_guarded_push(app, token, change) for token in open_tabs))


@contextlib.asynccontextmanager
async def live_updates(app: rx.App) -> AsyncIterator[None]:
    """Lifespan task: subscribe this worker to team changes for as long as it runs."""

    async def handler(change: events.Event) -> None:
        if isinstance(change, TeamChanged):
            await push_team_change(app, change)

    events.subscribe(handler)
    yield
