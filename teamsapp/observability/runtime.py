"""Per-worker gauges refreshed in the background: process figures, worker count, samplers.

In multiprocess mode prometheus_client cannot read another worker's /proc, so each worker
writes its own process figures to the shared files every few seconds under the standard
`process_*` names: memory and open files add up over the live workers, CPU seconds over every
worker since the start. In a single process the standard process collector answers instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from prometheus_client import Counter, Gauge, ProcessCollector

from teamsapp.observability.metrics import MULTIPROCESS, WORKERS, forget_this_process

logger = logging.getLogger(__name__)

SAMPLE_SECONDS = 5.0

_samplers: list[Callable[[], None]] = []


def add_sampler(sampler: Callable[[], None]) -> None:
    """Run `sampler` every few seconds in each worker (it sets gauges; it must be quick)."""
    _samplers.append(sampler)


class _ProcessSampler:
    """Copies this process's figures into file-backed metrics (multiprocess mode only)."""

    def __init__(self) -> None:
        self._source = ProcessCollector(registry=None)
        self._cpu = Counter("process_cpu_seconds_total", "CPU seconds used by the workers.", registry=None)
        self._cpu_seen = 0.0
        self._gauges = {
            "process_resident_memory_bytes": Gauge(
                "process_resident_memory_bytes",
                "Resident memory of the live workers.",
                registry=None,
                multiprocess_mode="livesum",
            ),
            "process_virtual_memory_bytes": Gauge(
                "process_virtual_memory_bytes",
                "Virtual memory of the live workers.",
                registry=None,
                multiprocess_mode="livesum",
            ),
            "process_open_fds": Gauge(
                "process_open_fds",
                "Open file descriptors of the live workers.",
                registry=None,
                multiprocess_mode="livesum",
            ),
            "process_max_fds": Gauge(
                "process_max_fds",
                "File descriptor limit of one worker.",
                registry=None,
                multiprocess_mode="livemax",
            ),
            "process_start_time_seconds": Gauge(
                "process_start_time_seconds",
                "Start time of the oldest live worker, in seconds since the epoch.",
                registry=None,
                multiprocess_mode="livemin",
            ),
        }

    def __call__(self) -> None:
        for family in self._source.collect():
            for sample in family.samples:
                if sample.name == "process_cpu_seconds_total":
                    self._cpu.inc(max(0.0, sample.value - self._cpu_seen))
                    self._cpu_seen = max(self._cpu_seen, sample.value)
                elif (gauge := self._gauges.get(sample.name)) is not None:
                    gauge.set(sample.value)


def sample_once() -> None:
    """Run every sampler once; one failing sampler does not stop the others."""
    for sampler in _samplers:
        try:
            sampler()
        except Exception:
            logger.exception("metrics sampler %r failed", sampler)


async def _sample_forever() -> None:
    while True:
        sample_once()
        await asyncio.sleep(SAMPLE_SECONDS)


_process_sampler: _ProcessSampler | None = None


@contextlib.asynccontextmanager
async def observe_worker() -> AsyncIterator[None]:
    """Count this worker, refresh its gauges while it runs, and take it out of the sums at the end."""
    global _process_sampler  # noqa: PLW0603  (one per process, created in the worker)
    if MULTIPROCESS and _process_sampler is None:
        _process_sampler = _ProcessSampler()
        add_sampler(_process_sampler)
    WORKERS.inc()
    task = asyncio.create_task(_sample_forever(), name="teamsapp-metrics-sampler")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        WORKERS.dec()
        forget_this_process()
