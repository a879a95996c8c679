"""The production app on loopback, as `make run` starts it, and the memory of its processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.infra import ROOT
from tests.live import wait_until_up

START_TIMEOUT_SECONDS = 600
STOP_TIMEOUT_SECONDS = 20
SAMPLE_SECONDS = 0.25
ERROR_MARKERS = (
    '"level": "ERROR"',
    " ERROR ",
    "[error]",
    "Exception in ASGI",
    "Traceback (most recent call last)",
)
PAGE_SIZE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
IDLE_WINDOW_SECONDS = 0.5
SUMMARY_CHARS = 300


class ServerFailed(Exception):
    """The app did not start; the message points at its log."""


@dataclass
class ProcessMemory:
    """The resident memory of one server process, sampled while it runs."""

    pid: int
    role: str
    command: str
    peak_kb: int = 0
    last_kb: int = 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class MemorySampler:
    """Samples the RSS of every process under a root PID in a background thread."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.processes: dict[int, ProcessMemory] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> None:
        """Sample until `stop`."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        """Read the RSS of every process in the tree once."""
        tree = _children()
        pending = [(self.root_pid, 0)]
        while pending:
            pid, depth = pending.pop()
            pending.extend((child, depth + 1) for child in tree.get(pid, []))
            if depth == 0:
                continue  # `timeout`, which only waits
            command = _command(pid)
            rss = _rss_kb(pid)
            if not rss:
                continue
            memory = self.processes.get(pid)
            if memory is None:
                memory = self.processes[pid] = ProcessMemory(
                    pid=pid, role=_role(command, depth), command=command
                )
            memory.last_kb = rss
            memory.peak_kb = max(memory.peak_kb, rss)

    def workers(self) -> list[ProcessMemory]:
        """The processes that serve requests."""
        return [memory for memory in self.processes.values() if memory.role == "worker"]


def _summary(line: str) -> str:
    # The app logs JSON lines: the message and the exception's last line say what happened.
    try:
        record = json.loads(line)
    except ValueError:
        return line.strip()[:SUMMARY_CHARS]
    if not isinstance(record, dict):
        return line.strip()[:SUMMARY_CHARS]
    exception = str(record.get("exception", "")).strip().splitlines()
    summary = str(record.get("message", ""))
    if exception:
        summary += f": {exception[-1]}"
    return summary[:SUMMARY_CHARS]


def _role(command: str, depth: int) -> str:
    # Under `timeout`: depth 1 is the Reflex CLI, which is also granian's supervisor; its
    # python children are the workers (forked, so they share the CLI's command line). A single
    # uvicorn process (the API served alone, the calibration server) is its own worker.
    if "uvicorn" in command and depth == 1:
        return "worker"
    if depth <= 1:
        return "supervisor"
    return "worker" if "reflex" in command else "other"


@dataclass
class AppServer:
    """`reflex run --env prod --single-port` in its own process group, killed by PID at the end."""

    env: dict[str, str]
    port: int
    log_path: Path
    time_limit: int
    workers: int = 1
    # "granian": as production serves it (`reflex run --env prod`); "uvicorn": the API served
    # alone (`uvicorn teamsapp.api:api`); "calibration": bench/calibration.py under uvicorn.
    kind: str = "granian"
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    sampler: MemorySampler | None = None
    log_offset: int = 0
    startup_seconds: float = 0.0
    memory: list[ProcessMemory] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Where the app answers."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Build and start the app; return when the API and the UI both answer."""
        command = ["timeout", "--kill-after=10", str(self.time_limit), *self._command()]
        env = {**self.env, "GRANIAN_WORKERS": str(self.workers)}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if self.kind == "granian":
            wait_until_up(
                self.url,
                self.process,
                log_path=self.log_path,
                probe="/ping",
                timeout=START_TIMEOUT_SECONDS,
                interval=0.5,
                error=ServerFailed,
            )
        else:
            self._wait_for("/" if self.kind == "calibration" else "/api/v1/monitoring/live")
        self.startup_seconds = time.monotonic() - started
        self.sampler = MemorySampler(self.process.pid)
        self.sampler.start()

    def _command(self) -> list[str]:
        bin_dir = Path(sys.executable).parent
        if self.kind == "granian":
            return [str(bin_dir / "reflex"), "run", "--env", "prod", "--single-port"]
        app = "bench.calibration:app" if self.kind == "calibration" else "teamsapp.api:api"
        # The app writes its own access line; uvicorn's would be a second one.
        return [
            str(bin_dir / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", "1", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip

    def _wait_for(self, probe: str) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"{self.kind} exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}{probe}", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise ServerFailed(f"{self.kind} did not start; see {self.log_path}")

    def worker_rss_kb(self) -> list[int]:
        """The current RSS of each worker process."""
        if self.sampler is None:
            return []
        self.sampler.sample()
        return [memory.last_kb for memory in self.sampler.workers()]

    def mark_log(self) -> None:
        """Remember where the log is now, for `errors_since_mark`."""
        self.log_offset = self.log_path.stat().st_size

    def errors_since_mark(self) -> dict[str, int]:
        """The errors the server logged since the last `mark_log`, each summed up in a line, with counts.

        The app logs each error as one JSON line; granian then prints the same exception as plain
        text. Plain lines count only when no JSON line says it better.
        """
        structured: dict[str, int] = {}
        plain: dict[str, int] = {}
        with self.log_path.open(errors="replace") as log:
            log.seek(self.log_offset)
            for line in log:
                if not any(marker in line for marker in ERROR_MARKERS):
                    continue
                counts = structured if line.startswith("{") else plain
                summary = _summary(line)
                counts[summary] = counts.get(summary, 0) + 1
        return structured or plain

    def cpu_seconds(self) -> float:
        """CPU time used so far by the worker processes."""
        if self.sampler is None:
            return 0.0
        total = 0
        for memory in self.sampler.workers():
            try:
                fields = Path(f"/proc/{memory.pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / CLOCK_TICKS

    def wait_idle(self, *, most_s: float, busy_share: float = 0.1) -> float:
        """Wait until the workers use under `busy_share` of a core (done with queued work); seconds waited."""
        started = time.monotonic()
        used = self.cpu_seconds()
        while time.monotonic() - started < most_s:
            time.sleep(IDLE_WINDOW_SECONDS)
            now = self.cpu_seconds()
            if now - used < busy_share * IDLE_WINDOW_SECONDS:
                break
            used = now
        return time.monotonic() - started

    def stop(self) -> None:
        """Stop sampling, then end the process group: SIGTERM, and SIGKILL if it lingers."""
        if self.sampler is not None:
            self.sampler.stop()
            self.memory = sorted(self.sampler.processes.values(), key=lambda memory: memory.pid)
            self.sampler = None
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
