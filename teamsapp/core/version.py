"""The release version, kept in one place: `version` in pyproject.toml."""

from __future__ import annotations

import functools
import tomllib
from importlib import metadata

from teamsapp.core.config import ROOT

PYPROJECT = ROOT / "pyproject.toml"
UNKNOWN = "0+unknown"


@functools.cache
def app_version() -> str:
    """The version in pyproject.toml of this source tree, else that of the installed distribution."""
    # A source checkout wins: an older `pip install .` in the same venv must not shadow it.
    if PYPROJECT.is_file():
        project = tomllib.loads(PYPROJECT.read_text())["project"]
        if project.get("name") == "teamsapp":
            return str(project["version"])
    try:
        return metadata.version("teamsapp")
    except metadata.PackageNotFoundError:
        # Only the package's files were copied somewhere: serve, but say the version is not known.
        return UNKNOWN
