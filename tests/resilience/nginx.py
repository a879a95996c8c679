"""Debian's nginx run on the stack's own config (`deploy/nginx/nginx.conf`), with its `listen` and
its upstream `server` line replaced by loopback ones: the proxy of docker-compose.yml, without Docker.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx

from tests import services
from tests.services import stop_process, wait_for

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx" / "nginx.conf"
UPSTREAM_SERVER = re.compile(r"^(\s*)server app:8000( [^;]*)?;$", re.MULTILINE)
LISTEN = re.compile(r"^(\s*)listen 80;$", re.MULTILINE)
START_TIMEOUT_SECONDS = 30


def nginx_binary() -> str:
    """Debian's nginx (`apt-get install nginx`)."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        raise AssertionError("nginx is not installed: apt-get install nginx")
    return binary


def render(*, port: int, upstreams: list[int]) -> str:
    """The compose proxy's config, listening on 127.0.0.1:`port` in front of loopback `upstreams`."""
    text = CONFIG.read_text()
    text, listens = LISTEN.subn(rf"\g<1>listen 127.0.0.1:{port};", text)
    servers = "".join(f"\\g<1>server 127.0.0.1:{upstream}\\g<2>;\n" for upstream in upstreams).rstrip("\n")
    text, replaced = UPSTREAM_SERVER.subn(servers, text)
    assert (listens, replaced) == (1, 1), "deploy/nginx/nginx.conf no longer has the lines the tests replace"
    return text


class Nginx:
    """nginx with its own prefix, config, pid file and logs under `base`, on a free loopback port."""

    def __init__(self, base: Path, upstreams: list[int]) -> None:
        self.dir = base / "nginx"
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = self.dir / "nginx.conf"
        self.log_path = self.dir / "access.log"
        self.upstreams = upstreams
        self.process: subprocess.Popen[bytes] | None = None

    def _command(self, *extra: str) -> list[str]:
        return [
            nginx_binary(),
            *("-p", str(self.dir), "-c", str(self.config)),
            *("-g", f"pid {self.dir / 'nginx.pid'};{' daemon off;' if not extra else ''}"),
            *extra,
        ]

    def write(self) -> None:
        """Write the loopback variant of the config."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(render(port=self.port, upstreams=self.upstreams))

    def check(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t` on the config."""
        self.write()
        return subprocess.run(self._command("-t"), capture_output=True, text=True, check=False)

    def start(self) -> None:
        """Run nginx in the foreground (access lines on its stdout, kept in `log_path`)."""
        self.write()
        with self.log_path.open("ab") as log, (self.dir / "error.log").open("ab") as errors:
            self.process = subprocess.Popen(
                self._command(), stdout=log, stderr=errors, start_new_session=True
            )
        try:
            wait_for(self._up, timeout=START_TIMEOUT_SECONDS, what=f"nginx on {self.url}")
        except AssertionError as error:
            raise AssertionError(f"{error}; nginx said: {(self.dir / 'error.log').read_text()}") from None
        if self.process.poll() is not None:
            raise AssertionError(f"nginx exited: {(self.dir / 'error.log').read_text()}")

    def _up(self) -> bool:
        assert self.process is not None
        # An nginx that exited is "up" here: the caller's check below reports it with its log.
        if self.process.poll() is not None:
            return True
        return httpx.get(f"{self.url}/api/v1/monitoring/live", timeout=2).status_code == 200

    def access_lines(self) -> list[str]:
        """Every access-log line so far."""
        return self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []

    def stop(self) -> None:
        """Stop nginx by its PID."""
        if self.process is not None:
            stop_process(self.process)
