"""Reflex event metrics, a request id per event, and the connected-sessions gauge.

Reflex 0.10 runs every event in a task of its own and calls the app's middleware `preprocess`
in that task, under the state lock, right before the handler (its `postprocess` is no longer
called). The hook counts the event there, tags the task's log lines with a fresh request id,
and times the handler with a done-callback on the task, which also sees whether it raised.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import TYPE_CHECKING

import reflex as rx
from reflex.middleware.middleware import Middleware

from teamsapp.observability.logging import bind_request_id, new_request_id
from teamsapp.observability.metrics import (
    REFLEX_CONNECTED_SESSIONS,
    REFLEX_EVENT_DURATION,
    REFLEX_EVENT_ERRORS,
    REFLEX_EVENTS,
)
from teamsapp.observability.runtime import add_sampler

if TYPE_CHECKING:
    from reflex.state import BaseState, StateUpdate
    from reflex_base.event import Event

logger = logging.getLogger(__name__)


@functools.cache
def _labels(root: type[BaseState], event_name: str) -> tuple[str, str]:
    # Only registered handlers reach the middleware, so this cache stays as small as the app.
    path, _, handler = event_name.rpartition(".")
    try:
        state = root.get_class_substate(path).__name__
    except ValueError:
        state = path.rpartition(".")[2]
    return state, handler


def _finished(state: str, handler: str, start: float, task: asyncio.Task[object]) -> None:
    REFLEX_EVENT_DURATION.labels(state, handler).observe(time.perf_counter() - start)
    if not task.cancelled() and task.exception() is not None:
        REFLEX_EVENT_ERRORS.labels(state, handler).inc()


class EventMetricsMiddleware(Middleware):
    """Counts, times and tags every Reflex event; never changes what the event does."""

    async def preprocess(self, app: rx.App, state: BaseState, event: Event) -> StateUpdate | None:
        """Record the event and let it run."""
        bind_request_id(new_request_id())
        state_label, handler = _labels(type(state), event.name)
        REFLEX_EVENTS.labels(state_label, handler).inc()
        task = asyncio.current_task()
        if task is not None:
            task.add_done_callback(functools.partial(_finished, state_label, handler, time.perf_counter()))
        return None


def install(app: rx.App) -> None:
    """Register the event hook first in the app's middleware and sample its connected sessions."""
    app.add_middleware(EventMetricsMiddleware(), index=0)

    def sample_sessions() -> None:
        # The engine.io sockets of this worker: one per connected browser tab.
        REFLEX_CONNECTED_SESSIONS.set(len(app.sio.eio.sockets) if app.sio is not None else 0)

    add_sampler(sample_sessions)
