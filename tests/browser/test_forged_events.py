"""Hand-made websocket events change nothing: every handler checks its caller through the services.

Three callers who may not act on the team send the team page's events straight over the socket,
the way a script would: one with no cookie at all, one reusing a member's Reflex client token (but
not their cookie), and a logged-in outsider with a valid session of their own.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import socketio
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import api_headers, log_in, register, team_url, visit
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser

COOKIE = "teamsapp_session"
MARKER = "That is not a member or a role."
NAMESPACE = "/_event"  # the frontend connects to `<api>/_event`: that path is the Socket.IO namespace too


def _state_names() -> dict[str, str]:
    from teamsapp.ui.pages.team.invitations import InvitationFormState
    from teamsapp.ui.pages.team.state import TeamState

    return {
        "team": TeamState.get_full_name(),
        "invite": InvitationFormState.get_full_name(),
    }


def _forged_events(team_id: str, owner_id: str, member_id: str) -> list[dict[str, Any]]:
    names = _state_names()
    router = {"pathname": "/teams/[team_id]", "asPath": f"/teams/{team_id}", "query": {"team_id": team_id}}

    def event(name: str, **payload: Any) -> dict[str, Any]:
        return {"name": name, "payload": payload, "router_data": router}

    return [
        event(f"{names['team']}.load"),
        event(f"{names['team']}.change_role", user_id=member_id, role="owner"),
        event(f"{names['team']}.remove_member", user_id=owner_id),
        event(
            f"{names['invite']}.submit",
            form_data={"role": "owner", "email": "", "ttl_hours": "", "max_uses": ""},
        ),
        event(f"{names['team']}.delete_team"),
        # Last, an event with an answer of its own: events of a tab run one after the other, so
        # once it is back, every event before it was handled.
        event(f"{names['team']}.change_role", user_id="end-of-test", role="none"),
    ]


async def _send(url: str, token: str, cookie: str | None, events: list[dict[str, Any]]) -> list[Any]:
    received: list[Any] = []
    answered = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    async def on_event(data: Any) -> None:
        received.append(data)
        if MARKER in json.dumps(data):
            answered.set()

    client.on("event", on_event, namespace=NAMESPACE)

    headers = {"Origin": url}
    if cookie:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    await client.connect(
        f"{url}?token={token}",
        socketio_path=NAMESPACE,
        namespaces=[NAMESPACE],
        transports=["websocket"],
        headers=headers,
        wait_timeout=10,
    )
    try:
        for event in events:
            await client.emit("event", event, namespace=NAMESPACE)
        await asyncio.wait_for(answered.wait(), timeout=30)
    finally:
        await client.disconnect()
    return received


def _forge(server: LiveServer, token: str, cookie: str | None, events: list[dict[str, Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _send(server.url, token, cookie, events)).result()


def test_forged_events_from_outsiders_change_nothing(
    open_page: Callable[[], Page], live_server: LiveServer, mailbox: Mailbox
) -> None:
    owner_account = register(live_server, mailbox, "victim")
    member_account = register(live_server, mailbox, "insider")
    outsider_account = register(live_server, mailbox, "outsider")
    headers = api_headers(live_server, owner_account)
    team = httpx.post(f"{live_server.url}/api/v1/team", json={"name": "Vault"}, headers=headers, timeout=10)
    team.raise_for_status()
    team_id = team.json()["id"]
    invitation = httpx.post(
        f"{live_server.url}/api/v1/team/invitation", json={"team_id": team_id}, headers=headers, timeout=10
    ).json()
    member = open_page()
    log_in(member, member_account)
    visit(member, invitation["link"])
    member.get_by_role("button", name="Accept invitation").click()
    expect(member).to_have_url(team_url())
    expect(member.get_by_text("Your role: member")).to_be_visible()

    def snapshot() -> tuple[dict[str, str], list[str]]:
        detail = httpx.get(f"{live_server.url}/api/v1/team/{team_id}", headers=headers, timeout=10).json()
        invitations = httpx.get(
            f"{live_server.url}/api/v1/team/{team_id}/invitations", headers=headers, timeout=10
        ).json()
        return (
            {item["user_id"]: item["role"] for item in detail["members"]},
            sorted(item["id"] for item in invitations),
        )

    before = snapshot()
    roles = before[0]
    owner_id = next(user for user, role in roles.items() if role == "owner")
    member_id = next(user for user, role in roles.items() if role == "member")
    events = _forged_events(team_id, owner_id, member_id)

    # 1. No cookie at all: every handler sends the caller to the log-in page and does nothing.
    answers = json.dumps(_forge(live_server, str(uuid.uuid4()), None, events))
    assert "/login?next=" in answers
    assert snapshot() == before

    # 2. The member's own Reflex client token, without the member's cookie: still nobody.
    member_token = member.evaluate("window.sessionStorage.getItem('token')")
    assert member_token
    member.context.close()
    answers = json.dumps(_forge(live_server, member_token, None, events))
    assert "/login?next=" in answers
    assert snapshot() == before

    # 3. A logged-in outsider: authenticated, but the services refuse (the team is not even shown).
    outsider = open_page()
    log_in(outsider, outsider_account)
    cookie = next(item["value"] for item in outsider.context.cookies() if item["name"] == COOKIE)
    answers = json.dumps(_forge(live_server, str(uuid.uuid4()), cookie, events))
    assert "no longer a member" in answers
    assert snapshot() == before
