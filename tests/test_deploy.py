"""The compose stack's files, checked by the tools that read them (there is no Docker engine here):
`docker-compose config` with each profile, `nginx -t` on the proxy's config, `promtool check config`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.resilience.nginx import Nginx

ROOT = Path(__file__).resolve().parents[1]
PROFILES = {
    (): {"proxy", "app", "db", "redis"},
    ("observability",): {"proxy", "app", "db", "redis", "prometheus", "grafana"},
    ("mail",): {"proxy", "app", "db", "redis", "mailpit"},
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed (apt-get install {name})")
    return path


def _compose(*arguments: str) -> dict[str, Any]:
    env = {**os.environ, "BACKEND_SECRET_KEY": "x" * 48}
    done = subprocess.run(
        [_tool("docker-compose"), *arguments, "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


@pytest.mark.parametrize("profiles", list(PROFILES))
def test_compose_config_is_valid_and_the_proxy_is_the_one_public_port(profiles: tuple[str, ...]) -> None:
    config = _compose(*(argument for profile in profiles for argument in ("--profile", profile)))
    # Debian's docker-compose prints every service with its `profiles`; the active ones have none
    # or one of those asked for.
    services = {
        name: service
        for name, service in config["services"].items()
        if not service.get("profiles") or set(service["profiles"]) & set(profiles)
    }
    assert set(services) == PROFILES[profiles]
    assert "ports" not in services["app"], "replicas must not bind a host port (--scale app=3)"
    assert "container_name" not in services["app"]
    public = {
        name
        for name, service in services.items()
        for port in service.get("ports", [])
        if not str(port.get("host_ip", "") if isinstance(port, dict) else port).startswith("127.0.0.1")
    }
    assert public == {"proxy"}


def test_the_observability_profile_provisions_prometheus_and_grafana_from_files() -> None:
    services = _compose("--profile", "observability")["services"]
    mounts = {
        name: {
            str(volume["source"] if isinstance(volume, dict) else volume).split(":")[0]
            for volume in service.get("volumes", [])
        }
        for name, service in services.items()
    }
    assert str(ROOT / "deploy" / "prometheus.yml") in mounts["prometheus"]
    assert str(ROOT / "deploy" / "grafana" / "provisioning") in mounts["grafana"]
    assert str(ROOT / "deploy" / "grafana" / "teamsapp.json") in mounts["grafana"]
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    [job] = prometheus["scrape_configs"]
    assert job["dns_sd_configs"] == [{"names": ["app"], "type": "A", "port": 8000, "refresh_interval": "15s"}]
    # The token file the scrape sends is the one the compose service writes before starting.
    token_file = job["authorization"]["credentials_file"]
    assert token_file in " ".join(services["prometheus"]["command"])
    assert "BACKEND_METRICS_TOKEN" in services["prometheus"]["environment"]


def test_the_dev_override_still_composes() -> None:
    _compose("-f", "docker-compose.yml", "-f", "deploy/docker-compose.dev.yml", "--project-directory", ".")


def test_promtool_accepts_the_scrape_config() -> None:
    # --syntax-only: the token file exists only inside the Prometheus container.
    done = subprocess.run(
        [_tool("promtool"), "check", "config", "--syntax-only", str(ROOT / "deploy" / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_nginx_accepts_the_proxy_config(tmp_path: Path) -> None:
    done = Nginx(tmp_path, upstreams=[8001, 8002]).check()
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
