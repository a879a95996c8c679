"""Real processes the observability tests drive: the API server, a private PostgreSQL and a
Prometheus server (the private Redis is `tests.services.PrivateRedis`). Each runs on a free
loopback port, in a temp dir, and is stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import psycopg

from tests import services
from tests.services import stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PG_BIN = Path(os.environ.get("TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT_SECONDS = 60


class ApiServer:
    """`granian teamsapp.api:api` with several workers, as the production server forks them."""

    def __init__(
        self, *, env: dict[str, str], workers: int, log_path: Path, options: tuple[str, ...] = ()
    ) -> None:
        self.options = options
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {**os.environ, **env}
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        command = [
            str(VENV_BIN / "granian"),
            *("--interface", "asgi", "--host", "127.0.0.1", "--port", str(self.port)),
            *("--workers", str(self.workers), "--log-level", "warning"),
            *self.options,
            "teamsapp.api:api",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(
            self._live, timeout=START_TIMEOUT_SECONDS, what=f"the API on {self.url} (log: {self.log_path})"
        )

    def _live(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the API exited with {self.process.returncode}; see {self.log_path}")
        return httpx.get(f"{self.url}/api/v1/monitoring/live", timeout=2).status_code == 200

    def stop(self) -> None:
        """Stop every worker (the process group) and wait for the end."""
        if self.process is not None:
            stop_process(self.process)

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace")


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as root, run it as the `postgres` user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb + pg_ctl) in a temp dir, on a free port."""

    def __init__(self) -> None:
        # A temp dir of its own: the `postgres` user cannot enter the test's private temp dirs.
        self.dir = Path(tempfile.mkdtemp(prefix="teamsapp-pg-"))
        self.data = self.dir / "data"
        self.port = services.free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        """Create the cluster (trust auth on loopback, socket in the temp dir)."""
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.dir / "log"),
                    "-o",
                    options,
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        wait_for(self._accepts, timeout=START_TIMEOUT_SECONDS, what=f"private PostgreSQL on {self.port}")

    def _accepts(self) -> bool:
        with psycopg.connect(self.url, connect_timeout=2):
            return True

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed)."""
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=False,
            capture_output=True,
        )

    def remove(self) -> None:
        """Delete the cluster's files (after `stop`)."""
        shutil.rmtree(self.dir, ignore_errors=True)


class Prometheus:
    """Debian's Prometheus server scraping one target every second, with a temp data dir."""

    def __init__(self, base: Path, target: str) -> None:
        self.dir = base / "prometheus"
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = target
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Write the config, start the server and wait until it is ready."""
        self.dir.mkdir(parents=True)
        config = self.dir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: teamsapp\n    metrics_path: /metrics\n"
            f"    authorization:\n      credentials: {os.environ['BACKEND_METRICS_TOKEN']}\n"
            f"    static_configs:\n      - targets: ['{self.target}']\n"
        )
        command = [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={self.dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
        ]
        with (self.dir / "log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(
            lambda: httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200,
            timeout=START_TIMEOUT_SECONDS,
            what="Prometheus ready",
        )

    def api(self, path: str, **params: str) -> object:
        """The `data` of a Prometheus HTTP API answer."""
        body = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=5).json()
        assert body["status"] == "success", body
        return body["data"]

    def stop(self) -> None:
        """Stop the server by its PID."""
        if self.process is not None:
            stop_process(self.process)
