"""Deactivation across two app processes sharing PostgreSQL: deactivated on A, refused on B at once."""

from __future__ import annotations

import httpx

from tests.factories.users import DEFAULT_PASSWORD, make_user
from tests.resilience.processes import AppServer


async def _token(server: AppServer, login: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        response = await http.post("/api/v1/user/auth", json={"login": login, "password": DEFAULT_PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_deactivated_on_one_worker_refused_on_the_other_at_once(
    two_workers: tuple[AppServer, AppServer],
) -> None:
    first, second = two_workers
    superuser, user = await make_user(superuser=True), await make_user()
    admin = await _token(first, superuser.email)
    user_on_b = await _token(second, user.email)
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as on_b,
    ):
        assert (await on_b.get("/api/v1/user/me", headers=user_on_b)).status_code == 200

        changed = await on_a.patch(f"/api/v1/admin/users/{user.id}", json={"is_active": False}, headers=admin)
        assert changed.status_code == 200

        assert (await on_b.get("/api/v1/user/me", headers=user_on_b)).status_code == 401
        assert (await on_b.get("/api/v1/teams", headers=user_on_b)).status_code == 401
        again = await on_b.post("/api/v1/user/auth", json={"login": user.email, "password": DEFAULT_PASSWORD})
        assert again.status_code == 403


async def test_a_deleted_account_is_refused_on_the_other_worker_at_once(
    two_workers: tuple[AppServer, AppServer],
) -> None:
    first, second = two_workers
    user = await make_user()
    on_a_headers, on_b_headers = await _token(first, user.email), await _token(second, user.email)
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as on_b,
    ):
        deleted = await on_a.request(
            "DELETE", "/api/v1/user/me", json={"current_password": DEFAULT_PASSWORD}, headers=on_a_headers
        )
        assert deleted.status_code == 204
        assert (await on_b.get("/api/v1/user/me", headers=on_b_headers)).status_code == 401
