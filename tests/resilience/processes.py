"""The app served by uvicorn (the API) or by `reflex run` (the full app) on free loopback ports,
which a test may stop, kill and restart.

The private PostgreSQL comes from `tests.observability.processes` (the private Redis is
`tests.services.PrivateRedis`): one copy of each helper.
"""

from __future__ import annotations

import contextlib
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
        self,
        *,
        env: dict[str, str],
        log_path: Path,
        port: int | None = None,
        inherit: bool = True,
        bin_dir: Path = VENV_BIN,
        log_level: str = "warning",
    ) -> None:
        self.bin_dir = bin_dir
        self.log_level = log_level
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
            str(self.bin_dir / "uvicorn"),
            "teamsapp.api:api",
            *("--host", "127.0.0.1", "--port", str(self.port), "--log-level", self.log_level),
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

    `dev=True` runs `make dev`'s command instead (hot reload: the pages on `url`, the backend on
    `backend_url`); `bin_dir` is the venv whose `reflex` runs; `inherit=False` leaves the suite's
    environment out.
    """

    COPIED = ("rxconfig.py", "pyproject.toml", "alembic.ini", "alembic", "teamsapp", "assets", ".web")

    def __init__(
        self,
        *,
        base: Path,
        name: str,
        env: dict[str, str],
        bin_dir: Path = VENV_BIN,
        inherit: bool = True,
        dev: bool = False,
    ) -> None:
        self.dir = base / name
        self.bin_dir = bin_dir
        self.dev = dev
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend_url = f"http://127.0.0.1:{self.port + 1}" if dev else self.url
        self.log_path = ROOT / "test-artifacts" / f"resilience-{name}.log"
        self.env = {
            **(os.environ if inherit else {}),
            **env,
            "BACKEND_PORT": str(self.port),
            "BACKEND_HOST": "127.0.0.1",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "GRANIAN_WORKERS": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        """`make run`'s command, or `make dev`'s."""
        mode = ["--env", "dev"] if self.dev else ["--env", "prod", "--single-port"]
        return [str(self.bin_dir / "reflex"), "run", *mode]

    def start(self) -> None:
        """Copy the app, build it and serve it; wait until the page and the API answer."""
        self.copy_app()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.dir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # In dev the pages come from Vite's server and the API from the backend's port.
        if self.dev:
            wait_until_up(self.url, self.process, log_path=self.log_path, probe="/login")
            wait_until_up(self.backend_url, self.process, log_path=self.log_path, page="/api/openapi.json")
        else:
            wait_until_up(self.url, self.process, log_path=self.log_path)

    def copy_app(self) -> None:
        """Copy the app into this instance's directory (its installed frontend packages included)."""
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

    def log(self) -> str:
        """Everything the instance wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop the whole instance gracefully (SIGTERM to its process group), killing it if need be."""
        if self.process is not None:
            services.stop_process(self.process)
            # What outlived the reflex process in its group (Vite's dev server) goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the whole instance (the reflex process and its workers)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
