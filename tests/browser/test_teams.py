"""Teams in two browsers: invite by mail, accept after logging in, live role change, remove, leave, delete."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import (
    Account,
    api_headers,
    check_page,
    fill_login,
    log_in,
    new_account,
    ready,
    register,
    team_url,
    url,
    visit,
    wait_for_mail,
)
from tests.fixtures.mail import Mailbox

pytestmark = pytest.mark.browser

LIVE = 2000  # ms: a change made elsewhere shows on an open team page within two seconds, no reload


def _create_team(page: Page, name: str) -> str:
    visit(page, "/teams")
    page.get_by_label("Team name").fill(name)
    page.get_by_label("Description (optional)").fill("Engines and tables")
    page.get_by_role("button", name="Create team").click()
    expect(page).to_have_url(team_url())
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    return page.url.rstrip("/")


def _invite_link(owner: Page) -> str:
    owner.get_by_role("button", name="Create invitation").click()
    expect(owner.get_by_text("Invitation created.", exact=True)).to_be_visible()
    return owner.get_by_label("New invitation link").input_value()


def _accept(page: Page, link: str, team: str) -> None:
    visit(page, link)
    expect(page.get_by_text(team)).to_be_visible()
    page.get_by_role("button", name="Accept invitation").click()
    expect(page).to_have_url(team_url())
    expect(page.get_by_text("Your role: member")).to_be_visible()


def _roles(server: LiveServer, owner: Account, team_page: str) -> dict[str, str]:
    team_id = team_page.rsplit("/", 1)[1]
    response = httpx.get(
        f"{server.url}/api/v1/team/{team_id}", headers=api_headers(server, owner), timeout=10
    )
    if response.status_code == 404:
        return {}
    return {member["username"]: member["role"] for member in response.json()["members"]}


def test_team_life_in_two_browsers(
    open_page: Callable[[], Page], live_server: LiveServer, mailbox: Mailbox
) -> None:
    owner_account = register(live_server, mailbox, "owner")
    guest_account = register(live_server, mailbox, "guest")
    owner, guest = open_page(), open_page()
    log_in(owner, owner_account)
    check_page(owner, "teams-empty")
    team = _create_team(owner, "Analytical Engine")

    owner.get_by_label("Email (optional)").fill(guest_account.email)
    owner.get_by_role("button", name="Create invitation").click()
    expect(owner.get_by_text(f"Invitation created and mailed to {guest_account.email}.")).to_be_visible()
    invitations = owner.get_by_role("region", name="Invitations").get_by_role("table")
    expect(invitations.get_by_role("row", name=guest_account.email)).to_contain_text("active")

    # The guest follows the mailed link while logged out: log in, come back, accept.
    visit(guest, mailbox.link(wait_for_mail(mailbox, guest_account.email)))
    expect(guest.get_by_text("Analytical Engine")).to_be_visible()
    check_page(guest, "invite")
    guest.get_by_role("button", name="Log in to accept").click()
    expect(guest).to_have_url(url("/login"))
    fill_login(guest, guest_account.username, guest_account.password)
    expect(guest).to_have_url(url("/invite"))
    guest.get_by_role("button", name="Accept invitation").click()
    expect(guest).to_have_url(team)
    expect(guest.get_by_text("Your role: member")).to_be_visible()
    check_page(guest, "team-member")

    owner.reload()
    ready(owner)
    members = owner.get_by_role("region", name="Members").get_by_role("table")
    expect(members.get_by_role("row")).to_have_count(3)
    expect(invitations.get_by_role("row", name=guest_account.email)).to_contain_text("used up")
    check_page(owner, "team-owner")

    # A role change shows on the guest's open page without a reload.
    owner.get_by_label(f"Role of {guest_account.username}").click()
    owner.get_by_role("option", name="admin").click()
    expect(owner.get_by_text("Role changed to admin.")).to_be_visible()
    expect(guest.get_by_text("Your role: admin")).to_be_visible(timeout=LIVE)
    expect(guest.get_by_role("heading", name="Invitations")).to_be_visible(timeout=LIVE)
    assert _roles(live_server, owner_account, team)[guest_account.username] == "admin"

    # Removal, live.
    owner.get_by_role("button", name=f"Remove {guest_account.username}").click()
    owner.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    expect(owner.get_by_text("Member removed.")).to_be_visible()
    expect(guest.get_by_text("you are no longer a member")).to_be_visible(timeout=LIVE)
    expect(members.get_by_role("row")).to_have_count(2)

    # A link invitation: copy, disable, enable; the guest joins again, then leaves.
    link = _invite_link(owner)
    link_row = invitations.get_by_role("row", name="anyone with the link")
    owner.get_by_role("button", name="Disable invitation for anyone with the link").click()
    expect(link_row).to_contain_text("disabled")
    visit(guest, link)
    expect(guest.get_by_text("This invitation can no longer be accepted.")).to_be_visible()
    owner.get_by_role("button", name="Enable invitation for anyone with the link").click()
    expect(link_row).to_contain_text("active")
    _accept(guest, link, "Analytical Engine")
    expect(members.get_by_role("row")).to_have_count(3, timeout=LIVE)

    guest.get_by_role("button", name="Leave team").click()
    guest.get_by_role("alertdialog").get_by_role("button", name="Leave").click()
    expect(guest).to_have_url(url("/teams"))
    expect(guest.get_by_text("You left the team.")).to_be_visible()
    expect(members.get_by_role("row")).to_have_count(2, timeout=LIVE)

    # Back once more, then the owner deletes the team while the guest looks at it.
    _accept(guest, link, "Analytical Engine")
    owner.get_by_role("button", name="Delete invitation for anyone with the link").click()
    expect(owner.get_by_text("Invitation deleted.")).to_be_visible()
    expect(link_row).to_have_count(0)
    owner.get_by_role("button", name="Delete team").click()
    owner.get_by_role("alertdialog").get_by_role("button", name="Delete team").click()
    expect(owner).to_have_url(url("/teams"))
    expect(guest.get_by_text("This team was deleted.")).to_be_visible(timeout=LIVE)
    assert _roles(live_server, owner_account, team) == {}
    check_page(guest, "team-deleted")
    _create_team(owner, "Difference Engine")
    visit(owner, "/teams")
    expect(owner.get_by_role("link", name="Difference Engine")).to_be_visible()
    check_page(owner, "teams")


def test_the_last_owner_cannot_leave(page: Page, live_server: LiveServer, mailbox: Mailbox) -> None:
    account = register(live_server, mailbox, "alone")
    log_in(page, account)
    _create_team(page, "Solo")
    page.get_by_role("button", name="Leave team").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Leave").click()
    expect(page.get_by_text("at least one owner")).to_be_visible()
    expect(page).to_have_url(team_url())


def test_an_invited_newcomer_signs_up_and_comes_back(
    page: Page, live_server: LiveServer, mailbox: Mailbox
) -> None:
    owner_account = register(live_server, mailbox, "host")
    headers = api_headers(live_server, owner_account)
    created = httpx.post(
        f"{live_server.url}/api/v1/team", json={"name": "Babbage"}, headers=headers, timeout=10
    )
    body = {"team_id": created.json()["id"]}
    link = httpx.post(
        f"{live_server.url}/api/v1/team/invitation", json=body, headers=headers, timeout=10
    ).json()
    newcomer = new_account("newcomer")

    visit(page, link["link"])
    page.get_by_role("button", name="Sign up to accept").click()
    expect(page).to_have_url(re.compile(r"/signup/?\?next="))
    page.get_by_label("Email").fill(newcomer.email)
    page.get_by_label("Username").fill(newcomer.username)
    page.get_by_label("Full name").fill(newcomer.full_name)
    page.get_by_label("Password").fill(newcomer.password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We sent a confirmation link to")).to_be_visible()

    # The confirmation link comes by mail; after it, the first log-in goes back to the invitation.
    visit(page, mailbox.link(wait_for_mail(mailbox, newcomer.email)))
    page.get_by_label("Password").fill(newcomer.password)
    page.get_by_role("button", name="Confirm my address").click()
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    fill_login(page, newcomer.username, newcomer.password)
    expect(page).to_have_url(re.compile(r"/invite/?\?token="))
    page.get_by_role("button", name="Accept invitation").click()
    expect(page).to_have_url(team_url())
    expect(page.get_by_text("Your role: member")).to_be_visible()
