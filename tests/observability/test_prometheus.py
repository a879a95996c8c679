"""What Prometheus makes of the app: promtool's lint, a real server scraping it, the deploy files."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import services
from tests.observability.metrics_text import promtool_check, samples
from tests.observability.processes import ROOT, ApiServer, Prometheus
from tests.services import wait_for

ROUTES_CALLED = ("/api/v1/echo", "/api/v1/monitoring/health", "/api/v1/team/{team_id}")
SCRAPE_DEADLINE_SECONDS = 60
DASHBOARD = ROOT / "deploy" / "grafana" / "teamsapp.json"


def _call_routes(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        assert http.post("/api/v1/echo", json={"message": "hello"}).status_code == 200
        assert http.get("/api/v1/monitoring/health").status_code == 200
        assert http.get("/api/v1/team/00000000-0000-0000-0000-000000000000").status_code == 401
        assert http.get("/no/such/page").status_code == 404


@pytest.fixture(scope="module")
def prometheus(api_server: ApiServer, observability_tmp: Path) -> Iterator[Prometheus]:
    """Prometheus scraping the two-worker API every second, until the routes called show up."""
    server = Prometheus(observability_tmp, target=f"127.0.0.1:{api_server.port}")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_promtool_accepts_the_scraped_metrics(api_server: ApiServer) -> None:
    _call_routes(api_server.url)
    text = httpx.get(f"{api_server.url}/metrics", headers=services.metrics_headers()).text
    checked = promtool_check(text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = {name for name, _labels in samples(text)}
    for expected in (
        "teamsapp_http_requests_total",
        "teamsapp_http_request_duration_seconds_bucket",
        "teamsapp_http_requests_in_progress",
        "teamsapp_workers",
        "teamsapp_users",
        "teamsapp_teams",
        "teamsapp_team_members",
        "teamsapp_outbox_depth",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ):
        assert expected in names, expected


def test_prometheus_scrapes_the_app_and_rates_requests_by_route(
    api_server: ApiServer, prometheus: Prometheus
) -> None:
    deadline = time.monotonic() + SCRAPE_DEADLINE_SECONDS
    routes: set[str] = set()
    up = False
    targets: object = None
    while time.monotonic() < deadline and not (up and routes >= set(ROUTES_CALLED)):
        _call_routes(api_server.url)
        targets = prometheus.api("targets")
        assert isinstance(targets, dict)
        up = any(target["health"] == "up" for target in targets["activeTargets"])
        result = prometheus.api(
            "query", query='sum by (route) (rate(teamsapp_http_requests_total{job="teamsapp"}[10s]))'
        )
        assert isinstance(result, dict)
        routes = {series["metric"].get("route", "") for series in result["result"]}
        time.sleep(1)
    assert up, targets
    assert routes >= set(ROUTES_CALLED), routes
    assert "unmatched" in routes
    assert not any("0000" in route or route.startswith("/no/") for route in routes), routes


def test_the_grafana_dashboard_queries_are_valid_and_find_data(
    api_server: ApiServer, prometheus: Prometheus
) -> None:
    def rated() -> bool:
        _call_routes(api_server.url)
        result = prometheus.api("query", query="sum(rate(teamsapp_http_requests_total[30s])) > 0")
        return bool(isinstance(result, dict) and result["result"])

    wait_for(rated, timeout=SCRAPE_DEADLINE_SECONDS, what="request rates in Prometheus")
    dashboard = json.loads(DASHBOARD.read_text())
    targets = [target for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(targets) >= 20
    with_data = 0
    for target in targets:
        query = target["expr"].replace("$__rate_interval", "30s").replace("$job", "teamsapp")
        result = prometheus.api("query", query=query)
        assert isinstance(result, dict), query
        with_data += bool(result["result"])
    assert with_data >= len(targets) // 2, with_data


def test_the_deploy_scrape_config_is_valid(tmp_path: Path) -> None:
    # The metrics token file exists only in the Prometheus container: check a copy that names one
    # here, so promtool checks everything, files included.
    token = tmp_path / "metrics_token"
    token.write_text("token")
    config = tmp_path / "prometheus.yml"
    source = (ROOT / "deploy" / "prometheus.yml").read_text()
    assert "/prometheus/metrics_token" in source
    config.write_text(source.replace("/prometheus/metrics_token", str(token)))
    checked = subprocess.run(
        ["promtool", "check", "config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
