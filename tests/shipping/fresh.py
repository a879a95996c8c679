"""A new virtual environment built from `requirements.txt` alone, as a user's (and the image's) is."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.resilience.processes import ROOT, VENV_BIN
from tests.test_embedded_defaults import _embedded_env

# The Dockerfile installs the image's venv with the same command (tests/shipping/test_image.py).
INSTALL = ("-m", "pip", "install", "-r", "requirements.txt")
PASSWORD = "analytical engine"


def build_venv(where: Path) -> Path:
    """Create a venv at `where` and install requirements.txt into it; its `bin` directory."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    result = subprocess.run(
        [str(where / "bin" / "python"), *INSTALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (
        f"pip install -r requirements.txt failed:\n{result.stdout}\n{result.stderr}"
    )
    return where / "bin"


def fresh_env(bin_dir: Path, data_dir: Path) -> dict[str, str]:
    """The embedded defaults (no BACKEND_ settings but a SQLite file), with only the fresh venv's programs."""
    env = _embedded_env(data_dir)
    env.pop("PYTHONPATH", None)
    # The suite's venv off the PATH, so nothing of it is used by accident.
    path = [
        part for part in env.get("PATH", "").split(os.pathsep) if Path(part).resolve() != VENV_BIN.resolve()
    ]
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    return env


def run(
    bin_dir: Path, program: str, *args: str, env: dict[str, str], cwd: Path = ROOT, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run one of the fresh venv's programs to the end."""
    return subprocess.run(
        [str(bin_dir / program), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def project_version() -> str:
    """The version in pyproject.toml, the one place it is kept."""
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])
