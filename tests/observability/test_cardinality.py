"""Label cardinality stays flat: ids in paths never become label values."""

from __future__ import annotations

import re
import secrets
import uuid

import httpx

from teamsapp.observability.metrics import render_metrics
from tests.factories.users import login, make_user
from tests.observability.metrics_text import samples

RANDOM_REQUESTS = 1000
ID = re.compile(r"[0-9a-f]{8}|[0-9a-f]{12}")


def _http_series() -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {key for key in samples(render_metrics()[0].decode()) if key[0].startswith("teamsapp_http_")}


async def _random_requests(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> None:
    for i in range(count):
        match i % 4:
            case 0:
                response = await client.get(f"/api/v1/team/{uuid.uuid4()}", headers=headers)
            case 1:
                response = await client.get(f"/api/v1/user/{uuid.uuid4()}", headers=headers)
            case 2:
                response = await client.get(f"/api/v1/team/{secrets.token_hex(6)}", headers=headers)
            case _:
                response = await client.get(f"/api/v1/{secrets.token_hex(4)}/{uuid.uuid4()}")
        assert response.status_code in (404, 422), response.text


async def test_a_thousand_random_ids_add_no_series(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    await _random_requests(client, headers, 8)
    before = _http_series()
    await _random_requests(client, headers, RANDOM_REQUESTS)
    assert _http_series() == before
    routes = {dict(labels).get("route") for _name, labels in before}
    assert {"/api/v1/team/{team_id}", "/api/v1/user/{user_id}", "unmatched"} <= routes
    assert not [route for route in routes if route and ID.search(route)], routes
