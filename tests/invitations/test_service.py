"""The invitation service called directly, as the UI calls it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlmodel import select

from teamsapp.core.db import session_scope
from teamsapp.core.errors import NotFound, PermissionDenied
from teamsapp.invitations import service as invitation_service
from teamsapp.invitations.schemas import InvitationCreate, InvitationStatus
from teamsapp.models import Invitation, OutboxMail, Role
from teamsapp.models.base import utcnow
from tests.factories.teams import make_invitation, make_team
from tests.factories.users import make_user
from tests.fixtures.teams import in_transaction, snapshot

NOW = utcnow()


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, InvitationStatus.ACTIVE),
        ({"max_uses": 3, "uses": 2}, InvitationStatus.ACTIVE),
        ({"max_uses": 3, "uses": 3}, InvitationStatus.USED_UP),
        ({"expires_at": NOW - dt.timedelta(seconds=1)}, InvitationStatus.EXPIRED),
        ({"disabled": True, "max_uses": 1, "uses": 1}, InvitationStatus.DISABLED),
        ({"max_uses": 1, "uses": 1, "expires_at": NOW - dt.timedelta(days=1)}, InvitationStatus.USED_UP),
    ],
)
def test_status_is_computed(fields: dict[str, Any], status: InvitationStatus) -> None:
    values: dict[str, Any] = {"expires_at": NOW + dt.timedelta(hours=1), **fields}
    invitation = Invitation(team_id=uuid.uuid4(), token_hash="x", role="member", **values)
    assert invitation_service.status_of(invitation, now=NOW) is status


async def test_admins_cannot_invite_owners_nor_touch_owner_invitations() -> None:
    owner, admin = await make_user(), await make_user()
    team = await make_team(owner, members=[(admin, Role.ADMIN)])
    owners_invitation, _ = await make_invitation(team, created_by=owner, role=Role.OWNER)
    before = await snapshot(team.id)
    with pytest.raises(PermissionDenied, match="Only owners can invite owners"):
        await in_transaction(
            invitation_service.create_invitation,
            actor=admin,
            data=InvitationCreate(team_id=team.id, role=Role.OWNER),
        )
    with pytest.raises(PermissionDenied):
        await in_transaction(
            invitation_service.toggle_invitation, actor=admin, invitation_id=owners_invitation.id
        )
    with pytest.raises(PermissionDenied):
        await in_transaction(
            invitation_service.delete_invitation, actor=admin, invitation_id=owners_invitation.id
        )
    assert await snapshot(team.id) == before
    seen = await in_transaction(
        invitation_service.get_invitation, actor=admin, invitation_id=owners_invitation.id
    )
    assert seen.role is Role.OWNER


async def test_outsiders_get_not_found_for_invitations_by_id() -> None:
    owner, outsider = await make_user(), await make_user()
    team = await make_team(owner)
    invitation, _ = await make_invitation(team, created_by=owner)
    for service in (
        invitation_service.get_invitation,
        invitation_service.toggle_invitation,
        invitation_service.delete_invitation,
    ):
        with pytest.raises(NotFound, match="Invitation not found"):
            await in_transaction(service, actor=outsider, invitation_id=invitation.id)


async def test_the_mail_is_written_in_the_same_transaction_and_the_token_is_stored_hashed() -> None:
    owner = await make_user()
    team = await make_team(owner, name="Outbox team")
    address = f"bound-{team.id.hex[:8]}@example.com"
    with pytest.raises(RuntimeError):
        async with session_scope() as session:
            await invitation_service.create_invitation(
                session, actor=owner, data=InvitationCreate(team_id=team.id, email=address)
            )
            raise RuntimeError("the request fails after the invitation was made")
    async with session_scope() as session:
        assert (await session.exec(select(OutboxMail).where(OutboxMail.to_address == address))).all() == []
    created = await in_transaction(
        invitation_service.create_invitation,
        actor=owner,
        data=InvitationCreate(team_id=team.id, email=address),
    )
    token = created.link.rpartition("token=")[2]
    async with session_scope() as session:
        [mail] = (await session.exec(select(OutboxMail).where(OutboxMail.to_address == address))).all()
        assert mail.kind == "invitation"
        assert created.link in mail.text_body
        [stored] = (await session.exec(select(Invitation).where(Invitation.team_id == team.id))).all()
        assert token not in stored.token_hash
    preview = await in_transaction(invitation_service.preview_invitation, token=token)
    assert (preview.team_name, preview.email, preview.status) == (
        "Outbox team",
        address,
        InvitationStatus.ACTIVE,
    )


async def test_unverified_users_cannot_accept() -> None:
    owner, unverified = await make_user(), await make_user(verified=False)
    team = await make_team(owner)
    _, token = await make_invitation(team, created_by=owner)
    with pytest.raises(PermissionDenied, match="Verify your email"):
        await in_transaction(invitation_service.accept_invitation, actor=unverified, token=token)
    with pytest.raises(NotFound):
        await in_transaction(invitation_service.preview_invitation, token="unknown")
