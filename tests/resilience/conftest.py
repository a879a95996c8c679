"""Fixtures of the resilience tests: the private stack (see `stack.py`) and an app server on it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.resilience.processes import AppServer
from tests.resilience.stack import Stack


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    """The private stack shared by the resilience tests; each test leaves its services running."""
    with tempfile.TemporaryDirectory(prefix="teamsapp-resilience-") as path:
        private = Stack(Path(path))
        try:
            private.start()
            yield private
        finally:
            private.stop()


@pytest.fixture
def app_server(stack: Stack, request: pytest.FixtureRequest) -> Iterator[AppServer]:
    """One running app server on the private stack, killed at the end of the test."""
    server = stack.server(request.node.name)
    server.start()
    try:
        yield server
    finally:
        server.kill()
