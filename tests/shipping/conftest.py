"""The fresh venv is built once per run: every test of the shipped paths uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shipping.fresh import build_venv


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin` directory of a new venv with requirements.txt installed and nothing else."""
    return build_venv(tmp_path_factory.mktemp("fresh") / "venv")
