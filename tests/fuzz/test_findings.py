"""What Schemathesis found, kept as plain regression tests (each was a 500 or a schema violation)."""

from __future__ import annotations

import httpx
import pytest

from tests.factories.users import login, make_user

UNREADABLE = b"\x08\xffT&7\xfe5+\xff"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/user/logout", "POST"),
        ("GET", "/api/v1/team/invitation", "POST"),
        ("OPTIONS", "/api/v1/redis", "GET, PUT"),
        ("OPTIONS", "/api/v1/team/0b3a9f3e-2f0c-4c57-8f58-1f3c0a9d2b11", "DELETE, GET"),
        ("PUT", "/api/v1/user/sessions/anything", "DELETE"),
    ],
)
async def test_a_method_a_path_lacks_is_a_405_naming_every_allowed_one(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed


async def test_a_malformed_id_is_still_a_422(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    response = await client.get("/api/v1/user/not-an-id", headers=headers)
    assert response.status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/echo", "/api/v1/user/auth", "/api/v1/user"])
async def test_a_body_that_is_not_utf8_is_a_422(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, content=UNREADABLE, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


async def test_a_nul_in_a_login_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/user/auth", json={"login": "a\x00b", "password": "whatever"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "login"]


@pytest.mark.parametrize(
    ("field", "body"), [("name", {"name": "a\x00b"}), ("description", {"name": "ok", "description": "\x00"})]
)
async def test_a_nul_in_team_text_is_a_422_naming_it(
    client: httpx.AsyncClient, field: str, body: dict[str, str]
) -> None:
    headers = await login(client, await make_user())
    response = await client.post("/api/v1/team", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_a_validation_422_matches_its_documented_schema(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    schema = spec["paths"]["/api/v1/team"]["post"]["responses"]["422"]["content"]["application/json"][
        "schema"
    ]
    assert schema == {"$ref": "#/components/schemas/InvalidPublic"}
    detail = spec["components"]["schemas"]["InvalidPublic"]["properties"]["detail"]
    assert {branch.get("type") for branch in detail["anyOf"]} == {"string", "array"}
