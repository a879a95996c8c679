"""Every accounts route is documented with its request and response schemas and error statuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ROUTES = {
    ("post", "/api/v1/user"): {"201", "409", "422", "429", "503"},
    ("post", "/api/v1/user/auth"): {"200", "401", "422", "429", "503"},
    ("post", "/api/v1/user/auth/refresh"): {"200", "401", "422"},
    ("post", "/api/v1/user/logout"): {"204", "401"},
    ("get", "/api/v1/user/sessions"): {"200", "401"},
    ("delete", "/api/v1/user/sessions"): {"204", "401"},
    ("delete", "/api/v1/user/sessions/{session_id}"): {"204", "401", "404", "422"},
    ("get", "/api/v1/user/me"): {"200", "401", "403"},
    ("get", "/api/v1/user/{user_id}"): {"200", "401", "403", "404", "422"},
    ("patch", "/api/v1/user/settings"): {"200", "401", "409", "422", "429", "503"},
    ("post", "/api/v1/user/settings/email/confirm"): {"200", "409", "422"},
    ("patch", "/api/v1/user/appearance"): {"200", "401", "422"},
    ("post", "/api/v1/user/verify/send"): {"202", "422", "429", "503"},
    ("post", "/api/v1/user/verify"): {"200", "409", "422"},
    ("post", "/api/v1/user/password/reset/send"): {"202", "422", "429", "503"},
    ("post", "/api/v1/user/password/reset"): {"204", "409", "422"},
    ("get", "/api/v1/redis"): {"200", "401", "403", "404", "422", "503"},
    ("put", "/api/v1/redis"): {"200", "401", "403", "422", "503"},
}


@pytest.fixture(scope="module")
async def spec(app_lifespan: None) -> dict[str, Any]:
    from teamsapp.api import api

    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        document: dict[str, Any] = (await http.get("/api/openapi.json")).json()
        return document


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_each_route_documents_its_statuses_and_schemas(spec: dict[str, Any], method: str, path: str) -> None:
    operation = spec["paths"][path][method]
    assert operation.get("description") or operation.get("summary")
    assert set(operation["responses"]) == ROUTES[(method, path)]
    for status, response in operation["responses"].items():
        if status != "204":
            assert response["content"]["application/json"]["schema"], (status, response)
    if method in ("post", "put", "patch") and path not in ("/api/v1/user/logout",):
        assert operation["requestBody"]["content"]["application/json"]["schema"]


def test_login_documents_the_oauth2_form_and_the_bearer_scheme(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/api/v1/user/auth"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(body)
    scheme = spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/user/auth"
    assert spec["paths"]["/api/v1/user/me"]["get"]["security"] == [
        {"OAuth2PasswordBearer": []},
        {"APIToken": []},
    ]


def test_rate_limited_answers_document_retry_after(spec: dict[str, Any]) -> None:
    response = spec["paths"]["/api/v1/user/auth"]["post"]["responses"]["429"]
    assert "Retry-After" in response["headers"]
