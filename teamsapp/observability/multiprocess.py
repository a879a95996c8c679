"""Prometheus multiprocess mode for the production server, prepared before any worker exists.

`reflex run` reads `rxconfig.py` in the supervisor process before it imports the app and forks
the granian workers. prometheus_client decides at import time whether metric values live in
memory or in files shared by the workers, so the directory must be chosen, emptied of the
files of a previous run and announced in `PROMETHEUS_MULTIPROC_DIR` right there. This module
therefore never imports prometheus_client.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from teamsapp.core.config import ROOT

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
OWNER_ENV = "TEAMSAPP_METRICS_DIR_OWNER"
DEFAULT_PARENT = ROOT / ".teamsapp" / "prometheus"
EMPTY_DIR_GRACE_SECONDS = 3600


def _is_reflex_run(argv: list[str]) -> bool:
    if len(argv) < 2 or "run" not in argv[1:]:
        return False
    program = Path(argv[0])
    return program.name == "reflex" or program.parent.name == "reflex"


def process_exists(pid: int) -> bool:
    """Whether a process with this id runs (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(value_file: Path) -> int | None:
    pid = value_file.stem.rpartition("_")[2]
    return int(pid) if pid.isdigit() else None


def remove_abandoned_dirs(parent: Path, keep: Path) -> None:
    """Delete the per-port directories of servers that are gone (no file belongs to a live process)."""
    if not parent.is_dir():
        return
    for path in parent.iterdir():
        if path == keep or not path.is_dir() or not path.name.isdigit():
            continue
        pids = {_owner_pid(value_file) for value_file in path.glob("*.db")}
        # An empty directory may belong to a server still starting: only an old one is abandoned.
        if not pids and time.time() - path.stat().st_mtime < EMPTY_DIR_GRACE_SECONDS:
            continue
        if not any(pid and process_exists(pid) for pid in pids):
            shutil.rmtree(path, ignore_errors=True)


def empty_metrics_dir(path: Path) -> None:
    """Create the directory and delete the value files a previous run left in it."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def prepare_multiprocess_dir(port: int, argv: list[str] | None = None) -> Path | None:
    """In the `reflex run` supervisor: choose, empty and announce the shared metrics directory.

    The directory is `PROMETHEUS_MULTIPROC_DIR` when the operator set it, else one per port under
    `.teamsapp/prometheus/`, so two servers of one checkout never share files (the directories of
    servers that are gone are removed on the way). Worker processes inherit the variables and
    leave the directory alone; any other process (tests, Alembic, `uvicorn teamsapp.api:api`) is
    not touched, and whoever sets `PROMETHEUS_MULTIPROC_DIR` for those owns its emptying.
    """
    if os.environ.get(OWNER_ENV) or not _is_reflex_run(sys.argv if argv is None else argv):
        return None
    if "prometheus_client" in sys.modules and MULTIPROC_ENV not in os.environ:
        # Too late: metrics already keep their values in this process's memory.
        return None
    path = Path(os.environ.get(MULTIPROC_ENV) or DEFAULT_PARENT / str(port))
    empty_metrics_dir(path)
    if path.parent == DEFAULT_PARENT:
        remove_abandoned_dirs(DEFAULT_PARENT, keep=path)
    os.environ[MULTIPROC_ENV] = str(path)
    os.environ[OWNER_ENV] = str(os.getpid())
    return path
