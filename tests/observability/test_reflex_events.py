"""The Reflex event hook: counts and times each event by state and handler, errors, request ids."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from reflex.state import OnLoadInternalState, State
from reflex_base.event import Event
from reflex_base.utils.format import format_event_handler

from teamsapp.observability.logging import request_id_var
from teamsapp.observability.reflex_events import EventMetricsMiddleware

HANDLER = format_event_handler(OnLoadInternalState.event_handlers["on_load_internal"])
LABELS = {"state": "OnLoadInternalState", "handler": "on_load_internal"}


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name, LABELS) or 0.0


async def _run_event(*, fail: bool) -> str | None:
    """Run an event the way Reflex does: in a task of its own, the middleware first."""
    root = State(_reflex_internal_init=True, init_substates=False)  # type: ignore[call-arg]
    event = Event(name=HANDLER, payload={})

    async def handle() -> str | None:
        hook = EventMetricsMiddleware()
        assert await hook.preprocess(app=None, state=root, event=event) is None  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
        if fail:
            raise RuntimeError("handler failed")
        return request_id_var.get()

    task = asyncio.create_task(handle())
    await asyncio.wait([task])
    await asyncio.sleep(0)  # done-callbacks run on the next loop iteration
    return task.result()


async def test_each_event_is_counted_and_timed_by_state_and_handler() -> None:
    events, timed = (
        _sample("teamsapp_reflex_events_total"),
        _sample("teamsapp_reflex_event_duration_seconds_count"),
    )
    errors = _sample("teamsapp_reflex_event_errors_total")
    first, second = await _run_event(fail=False), await _run_event(fail=False)
    assert _sample("teamsapp_reflex_events_total") == events + 2
    assert _sample("teamsapp_reflex_event_duration_seconds_count") == timed + 2
    assert _sample("teamsapp_reflex_event_duration_seconds_sum") > 0
    assert _sample("teamsapp_reflex_event_errors_total") == errors
    assert first and second and first != second
    assert request_id_var.get() is None


async def test_a_handler_that_raises_counts_as_an_error() -> None:
    errors = _sample("teamsapp_reflex_event_errors_total")
    with pytest.raises(RuntimeError):
        await _run_event(fail=True)
    assert _sample("teamsapp_reflex_event_errors_total") == errors + 1
