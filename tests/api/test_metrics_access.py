"""/metrics is for the scraper holding `BACKEND_METRICS_TOKEN`, and it is no oracle for accounts."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator

import httpx
import pytest

from teamsapp.core.config import get_settings
from tests import services
from tests.factories.users import make_user, new_account

SAMPLE = re.compile(r"^(teamsapp_\w+_total(?:\{[^}]*\})?) (\S+)$", re.MULTILINE)
# Counted by timing or by the background mail sender, not by the answer (see the README).
NOT_ANSWERS = ("teamsapp_http_", "teamsapp_reflex_", "teamsapp_mails_sent", "teamsapp_mails_failed")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change settings for one test; they are read again afterwards."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


async def _counters(client: httpx.AsyncClient) -> dict[str, float]:
    response = await client.get("/metrics", headers=services.metrics_headers())
    assert response.status_code == 200
    return {
        name: float(value)
        for name, value in SAMPLE.findall(response.text)
        if not name.startswith(NOT_ANSWERS)
    }


def _moved(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {
        name: after[name] - before.get(name, 0.0) for name in after if after[name] != before.get(name, 0.0)
    }


async def test_metrics_need_the_token_outside_dev(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    token = os.environ["BACKEND_METRICS_TOKEN"]
    assert (await client.get("/metrics", headers={"Authorization": f"Basic {token}"})).status_code == 401
    right = await client.get("/metrics", headers={"Authorization": f"bearer {token}"})
    assert right.status_code == 200
    assert "teamsapp_users" in right.text


async def test_without_a_token_metrics_are_closed_outside_dev_and_open_in_dev(
    client: httpx.AsyncClient, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv("BACKEND_METRICS_TOKEN", "")
    get_settings.cache_clear()
    assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 401
    environment.setenv("BACKEND_ENVIRONMENT", "dev")
    get_settings.cache_clear()
    assert (await client.get("/metrics")).status_code == 200


async def test_reset_mails_and_sign_ups_move_the_counters_alike_for_known_and_unknown_addresses(
    client: httpx.AsyncClient,
) -> None:
    known = await make_user(verified=False)
    unknown = f"nobody-{secrets.token_hex(4)}@example.com"
    moves = []
    for email in (known.email, unknown):
        before = await _counters(client)
        reset = await client.post("/api/v1/user/password/reset/send", json={"email": email})
        resend = await client.post("/api/v1/user/verify/send", json={"email": email})
        signup = await client.post("/api/v1/user", json=new_account(email=email))
        assert (reset.status_code, resend.status_code, signup.status_code) == (202, 202, 201)
        moves.append(_moved(before, await _counters(client)))
    assert moves[0] == moves[1]
    assert moves[0]["teamsapp_signups_total"] == 1
