"""Log-in sessions: logout, listing, revoking one or all the others."""

from __future__ import annotations

import httpx

from tests.factories.users import DEFAULT_PASSWORD, login, make_user

AUTH = "/api/v1/user/auth"
SESSIONS = "/api/v1/user/sessions"
ME = "/api/v1/user/me"


async def test_logout_ends_the_session_at_once(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    assert (await client.post("/api/v1/user/logout", headers=headers)).status_code == 204
    assert (await client.get(ME, headers=headers)).status_code == 401
    assert (await client.post("/api/v1/user/logout", headers=headers)).status_code == 401


async def test_logout_leaves_the_other_sessions_alone(client: httpx.AsyncClient) -> None:
    user = await make_user()
    one, two = await login(client, user), await login(client, user)
    await client.post("/api/v1/user/logout", headers=one)
    assert (await client.get(ME, headers=two)).status_code == 200


async def test_sessions_lists_device_address_and_the_current_one(client: httpx.AsyncClient) -> None:
    user = await make_user()
    await client.post(
        AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD}, headers={"User-Agent": "Phone/1.0"}
    )
    headers = await login(client, user)
    response = await client.get(SESSIONS, headers=headers)
    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    assert [entry["current"] for entry in sessions].count(True) == 1
    assert {entry["device"] for entry in sessions} == {"Phone/1.0", "python-httpx/0.28.1"}
    assert all(entry["ip"].startswith("10.") for entry in sessions)
    assert set(sessions[0]) == {"id", "device", "ip", "created_at", "last_seen_at", "current"}


async def test_revoking_one_session_ends_only_that_one(client: httpx.AsyncClient) -> None:
    user = await make_user()
    current, other = await login(client, user), await login(client, user)
    sessions = (await client.get(SESSIONS, headers=current)).json()
    other_id = next(entry["id"] for entry in sessions if not entry["current"])
    assert (await client.delete(f"{SESSIONS}/{other_id}", headers=current)).status_code == 204
    assert (await client.get(ME, headers=other)).status_code == 401
    assert (await client.get(ME, headers=current)).status_code == 200
    assert [entry["id"] for entry in (await client.get(SESSIONS, headers=current)).json()] != [other_id]


async def test_revoking_someone_elses_session_is_a_404(client: httpx.AsyncClient) -> None:
    victim, attacker = await make_user(), await make_user()
    victim_headers = await login(client, victim)
    victim_session = (await client.get(SESSIONS, headers=victim_headers)).json()[0]["id"]
    response = await client.delete(f"{SESSIONS}/{victim_session}", headers=await login(client, attacker))
    assert response.status_code == 404
    assert (await client.get(ME, headers=victim_headers)).status_code == 200


async def test_revoking_a_session_with_a_bad_id_is_a_422(client: httpx.AsyncClient) -> None:
    headers = await login(client, await make_user())
    response = await client.delete(f"{SESSIONS}/not-a-uuid", headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "session_id"]


async def test_revoking_the_other_sessions_keeps_the_current_one(client: httpx.AsyncClient) -> None:
    user = await make_user()
    current = await login(client, user)
    others = [await login(client, user) for _ in range(2)]
    assert (await client.delete(SESSIONS, headers=current)).status_code == 204
    for headers in others:
        assert (await client.get(ME, headers=headers)).status_code == 401
    assert (await client.get(ME, headers=current)).status_code == 200
    assert len((await client.get(SESSIONS, headers=current)).json()) == 1


async def test_session_routes_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(SESSIONS)).status_code == 401
    assert (await client.delete(SESSIONS)).status_code == 401
    assert (await client.post("/api/v1/user/logout")).status_code == 401
