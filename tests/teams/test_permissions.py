"""The role table of SPEC section 5, read as the services read it."""

from __future__ import annotations

import pytest

from teamsapp.core.errors import NotFound, PermissionDenied
from teamsapp.models import Role
from teamsapp.teams import permissions
from teamsapp.teams.permissions import DENIED, RULES, Action, allows, require

OWNER, ADMIN, MEMBER = Role.OWNER, Role.ADMIN, Role.MEMBER


def test_every_action_has_a_refusal_message_and_a_rule() -> None:
    assert set(DENIED) == set(Action)
    assert {rule[1] for rule in RULES} == set(Action)


@pytest.mark.parametrize(
    ("actor", "target", "new", "allowed"),
    [
        (OWNER, MEMBER, OWNER, True),
        (OWNER, OWNER, MEMBER, True),
        (OWNER, ADMIN, MEMBER, True),
        (ADMIN, MEMBER, ADMIN, True),
        (ADMIN, ADMIN, MEMBER, True),
        (ADMIN, MEMBER, OWNER, False),
        (ADMIN, ADMIN, OWNER, False),
        (ADMIN, OWNER, ADMIN, False),
        (MEMBER, MEMBER, ADMIN, False),
        (MEMBER, MEMBER, MEMBER, False),
    ],
)
def test_role_changes(actor: Role, target: Role, new: Role, allowed: bool) -> None:
    assert allows(actor, Action.CHANGE_ROLE, target=target, new=new) is allowed


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (OWNER, OWNER, True),
        (OWNER, ADMIN, True),
        (ADMIN, MEMBER, True),
        (ADMIN, ADMIN, False),
        (MEMBER, MEMBER, False),
    ],
)
def test_removals(actor: Role, target: Role, allowed: bool) -> None:
    assert allows(actor, Action.REMOVE_MEMBER, target=target) is allowed


def test_everyone_may_leave_and_view() -> None:
    for role in Role:
        assert allows(role, Action.LEAVE)
        assert allows(role, Action.VIEW_TEAM)


def test_only_owners_delete_the_team_or_invite_owners() -> None:
    assert [role for role in Role if allows(role, Action.DELETE_TEAM)] == [OWNER]
    assert [role for role in Role if allows(role, Action.INVITE, new=OWNER)] == [OWNER]
    assert allows(ADMIN, Action.INVITE, new=ADMIN)


def test_outsiders_get_not_found_and_members_permission_denied() -> None:
    with pytest.raises(NotFound):
        require(None, Action.VIEW_TEAM)
    with pytest.raises(PermissionDenied, match="Only owners can delete"):
        require(MEMBER, Action.DELETE_TEAM)
    with pytest.raises(PermissionDenied, match="owner's act"):
        require(ADMIN, Action.CHANGE_ROLE, target=MEMBER, new=OWNER)
    assert require(ADMIN, Action.CHANGE_ROLE, target=MEMBER, new=ADMIN) is ADMIN
    assert permissions.require_any(ADMIN, Action.REMOVE_MEMBER) is ADMIN
