"""The app served by uvicorn (the API) or by `reflex run` (the full app) on free loopback ports,
which a test may stop, kill and restart.

The private PostgreSQL comes from `tests.observability.processes` (the private Redis is
`tests.services.PrivateRedis`): one copy of each helper.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx

from tests import services
from tests.live import wait_until_up
from tests.observability.processes import VENV_BIN, PrivatePostgres
from tests.services import wait_for

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60

__all__ = ["ROOT", "VENV_BIN", "AppServer", "PrivatePostgres", "wait_for"]


class AppServer:
    """`uvicorn teamsapp.api:api` (one process) with the suite's settings plus `env` (or `env` alone)."""

    def __init__(
        self, *, env: dict[str, str], log_path: Path, port: int | None = None, inherit: bool = True
    ) -> None:
        self.port = port or services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env} if inherit else env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (it must be running)."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start the server and wait until it answers (the port is kept across restarts)."""
        command = [
            str(VENV_BIN / "uvicorn"),
            "teamsapp.api:api",
            *("--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"),
            # Tests pick the client address with X-Forwarded-For (rate limits count per address).
            *("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"),
            *("--timeout-graceful-shutdown", "5"),
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(
            self._live, timeout=START_TIMEOUT_SECONDS, what=f"the app on {self.url} (log {self.log_path})"
        )

    def _live(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the app exited with {self.process.returncode}; see {self.log_path}")
        return httpx.get(f"{self.url}/api/v1/monitoring/live", timeout=2).status_code == 200

    def kill(self) -> None:
        """SIGKILL the server: no shut-down work runs, open requests are cut."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not end in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _generated(directory: str, names: list[str]) -> set[str]:
    # Bytecode, and the work tree's own build output: each instance builds its frontend itself.
    skipped = {"__pycache__"}
    if Path(directory).name == ".web":
        skipped |= {"build", ".states"}
    return skipped & set(names)


class ReflexInstance:
    """The full app as `make run` serves it (`reflex run --env prod --single-port`), from a copy of
    the app of its own: each instance builds into its own `.web`, never the work tree's.
    """

    COPIED = ("rxconfig.py", "alembic.ini", "alembic", "teamsapp", "assets", ".web")

    def __init__(self, *, base: Path, name: str, env: dict[str, str]) -> None:
        self.dir = base / name
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ROOT / "test-artifacts" / f"resilience-{name}.log"
        self.env = {
            **os.environ,
            **env,
            "BACKEND_PORT": str(self.port),
            "BACKEND_HOST": "127.0.0.1",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "GRANIAN_WORKERS": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Copy the app, build it and serve it; wait until the page and the API answer."""
        from tests.browser.conftest import _bun_path

        _bun_path()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(exist_ok=True)
        for name in self.COPIED:
            source = ROOT / name
            if not source.exists():
                continue  # no `.web` yet: the instance sets its frontend up from scratch
            if not source.is_dir():
                shutil.copy2(source, self.dir / name)
                continue
            try:
                shutil.copytree(source, self.dir / name, symlinks=True, ignore=_generated, dirs_exist_ok=True)
            except shutil.Error as error:
                # Another build may be rewriting the work tree's generated files meanwhile; this
                # instance compiles its own, so only the installed packages must be complete.
                missing = [problem for problem in error.args[0] if "No such file" in str(problem[2])]
                if len(missing) != len(error.args[0]):
                    raise
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--single-port"],
                cwd=self.dir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_up(self.url, self.process, log_path=self.log_path)

    def kill(self) -> None:
        """SIGKILL the whole instance (the reflex process and its workers)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
