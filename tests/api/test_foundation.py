"""Foundation routes: health, echo, docs without a CDN, OpenAPI, metrics."""

from __future__ import annotations

import re

import httpx
import pytest
from redis.asyncio import Redis

from teamsapp.core import redis as core_redis
from tests import services

CDN = re.compile(r"https?://(?!127\.0\.0\.1|localhost|testserver)[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


async def test_health_reports_every_part(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/monitoring/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] == "ok"
    assert body["migration"] == body["migration_head"]
    assert body["migration"]


async def test_health_names_redis_when_it_is_down(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = Redis.from_url(f"redis://127.0.0.1:{services.free_port()}/0", socket_connect_timeout=1)
    monkeypatch.setattr(core_redis, "get_redis", lambda: closed)
    monkeypatch.setattr("teamsapp.monitoring.service.get_redis", lambda: closed)
    response = await client.get("/api/v1/monitoring/health")
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]
    assert response.json()["redis"].startswith("down")


async def test_echo_returns_the_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/echo", json={"message": "héllo"})
    assert response.status_code == 200
    assert response.json() == {"message": "héllo"}


@pytest.mark.parametrize(
    ("content", "field"),
    [('{"message": 5}', "message"), ("{}", "message"), ('{"message": "x"', None), ("[]", None)],
)
async def test_echo_rejects_bad_input_with_a_4xx_naming_the_field(
    client: httpx.AsyncClient, content: str, field: str | None
) -> None:
    response = await client.post(
        "/api/v1/echo", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    if field:
        assert field in str(detail)


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
async def test_docs_pages_load_only_local_files(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert "/api/static/docs/" in response.text
    assert not CDN.findall(response.text)
    for asset in re.findall(r"(/api/static/docs/[\w.-]+)", response.text):
        assert (await client.get(asset)).status_code == 200, asset


async def test_old_docs_address_redirects(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/docs")
    assert response.status_code in (307, 308)
    assert response.headers["location"].endswith("/api/docs")


async def test_openapi_lists_the_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/echo" in spec["paths"]
    assert "/api/v1/monitoring/health" in spec["paths"]


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers=services.metrics_headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in response.text
