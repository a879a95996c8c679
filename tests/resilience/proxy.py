"""A loopback TCP proxy with fail-over, standing in for the load balancer in front of app replicas.

Each new connection goes to the first target that accepts it, so when an instance dies, the
browser's reconnection lands on the next one, as it would behind a health-checked balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from tests import services


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


class FailoverProxy:
    """Listens on 127.0.0.1:`port` and forwards each connection to the first live port of `targets`."""

    def __init__(self) -> None:
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.targets: list[int] = []
        self.connections: list[int] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for port in list(self.targets):
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections.append(port)
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
            return
        writer.close()

    def start(self) -> None:
        """Listen, serving from a thread of its own."""
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self._loop
        )
        self._server = started.result(timeout=10)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        # Open connections end with the proxy, rather than as pending tasks at interpreter exit.
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        """Stop listening, end the open connections and the thread."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
