"""The error answers: a 401 names the Bearer scheme (RFC 6750), other statuses do not."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.factories.users import login, make_user

ME = "/api/v1/user/me"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
async def test_a_401_carries_www_authenticate_bearer(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


async def test_wrong_credentials_at_log_in_carry_www_authenticate_bearer(client: httpx.AsyncClient) -> None:
    user = await make_user()
    response = await client.post(
        "/api/v1/user/auth", json={"login": user.email, "password": "wrong password"}
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_other_errors_carry_no_www_authenticate(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    response = await client.get(f"/api/v1/team/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 404
    assert "WWW-Authenticate" not in response.headers


async def test_the_openapi_schema_documents_the_401_header(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    for path, method in (("/api/v1/user/me", "get"), ("/api/v1/teams", "get")):
        documented = spec["paths"][path][method]["responses"]["401"]
        assert "WWW-Authenticate" in documented["headers"], path
