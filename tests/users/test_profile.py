"""GET /api/v1/user/me, GET /api/v1/user/{id} and PATCH /api/v1/user/appearance."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.factories.users import login, make_user
from tests.fixtures.users import reload_user


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/user/me")
    assert response.status_code == 401
    assert "detail" in response.json()


async def test_a_profile_shows_only_public_fields(client: httpx.AsyncClient) -> None:
    viewer, other = await make_user(), await make_user(full_name="Other Person")
    response = await client.get(f"/api/v1/user/{other.id}", headers=await login(client, viewer))
    assert response.status_code == 200
    assert response.json() == {"id": str(other.id), "username": other.username, "full_name": "Other Person"}


async def test_unverified_users_may_read_profiles(client: httpx.AsyncClient) -> None:
    viewer, other = await make_user(verified=False), await make_user()
    assert (
        await client.get(f"/api/v1/user/{other.id}", headers=await login(client, viewer))
    ).status_code == 200


async def test_an_unknown_profile_is_a_404(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    assert (await client.get(f"/api/v1/user/{uuid.uuid4()}", headers=headers)).status_code == 404


async def test_a_malformed_profile_id_is_a_422(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    response = await client.get("/api/v1/user/not-an-id", headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]


async def test_profiles_need_a_token(client: httpx.AsyncClient) -> None:
    other = await make_user()
    assert (await client.get(f"/api/v1/user/{other.id}")).status_code == 401


async def test_change_appearance(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    response = await client.patch(
        "/api/v1/user/appearance", headers=headers, json={"theme": "dark", "accent_color": "crimson"}
    )
    assert response.status_code == 200
    assert response.json()["appearance"] == {"theme": "dark", "accent_color": "crimson"}
    partial = await client.patch("/api/v1/user/appearance", headers=headers, json={"theme": "light"})
    assert partial.json()["appearance"] == {"theme": "light", "accent_color": "crimson"}
    stored = await reload_user(user.id)
    assert (stored.theme, stored.accent_color) == ("light", "crimson")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"theme": "neon"}, "theme"), ({"accent_color": "chartreuse"}, "accent_color"), ({"theme": 1}, "theme")],
)
async def test_unknown_appearance_values_are_a_422(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    headers = await login(client, await make_user())
    response = await client.patch("/api/v1/user/appearance", headers=headers, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_appearance_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.patch("/api/v1/user/appearance", json={"theme": "dark"})).status_code == 401
