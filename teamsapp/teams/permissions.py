"""Who may do what to whom in a team: the role rules of SPEC section 5 as one table.

Services ask `require(...)` before every team action; nothing else decides a permission. A rule is
`(actor role, action, target role, new role)`: the target is the role of the member (or invitation)
acted on, the new role the one being given. Actions on the team itself have neither.
The invariant "a team keeps at least one owner" is not a permission: the services guard it.
"""

from __future__ import annotations

import enum
from typing import Final

from teamsapp.core.errors import NotFound, PermissionDenied
from teamsapp.models.teams import Role


class Action(enum.StrEnum):
    VIEW_TEAM = "view_team"
    EDIT_TEAM = "edit_team"
    DELETE_TEAM = "delete_team"
    READ_AUDIT = "read_audit"
    VIEW_INVITATIONS = "view_invitations"
    INVITE = "invite"
    MANAGE_INVITATION = "manage_invitation"
    CHANGE_ROLE = "change_role"
    REMOVE_MEMBER = "remove_member"
    LEAVE = "leave"


OWNER, ADMIN, MEMBER = Role.OWNER, Role.ADMIN, Role.MEMBER
A = Action

Rule = tuple[Role, Action, Role | None, Role | None]

# fmt: off
RULES: Final[frozenset[Rule]] = frozenset({
    # actor   action                 target  new role
    (OWNER,  A.VIEW_TEAM,           None,   None),
    (ADMIN,  A.VIEW_TEAM,           None,   None),
    (MEMBER, A.VIEW_TEAM,           None,   None),

    (OWNER,  A.EDIT_TEAM,           None,   None),
    (ADMIN,  A.EDIT_TEAM,           None,   None),

    (OWNER,  A.DELETE_TEAM,         None,   None),

    (OWNER,  A.READ_AUDIT,          None,   None),
    (ADMIN,  A.READ_AUDIT,          None,   None),

    (OWNER,  A.VIEW_INVITATIONS,    None,   None),
    (ADMIN,  A.VIEW_INVITATIONS,    None,   None),

    # new = the role the invitation gives
    (OWNER,  A.INVITE,              None,   OWNER),
    (OWNER,  A.INVITE,              None,   ADMIN),
    (OWNER,  A.INVITE,              None,   MEMBER),
    (ADMIN,  A.INVITE,              None,   ADMIN),
    (ADMIN,  A.INVITE,              None,   MEMBER),

    # toggle or delete; target = the role the invitation gives
    (OWNER,  A.MANAGE_INVITATION,   OWNER,  None),
    (OWNER,  A.MANAGE_INVITATION,   ADMIN,  None),
    (OWNER,  A.MANAGE_INVITATION,   MEMBER, None),
    (ADMIN,  A.MANAGE_INVITATION,   ADMIN,  None),
    (ADMIN,  A.MANAGE_INVITATION,   MEMBER, None),

    # target = the member's current role (the actor's own included), new = the role given
    (OWNER,  A.CHANGE_ROLE,         OWNER,  OWNER),
    (OWNER,  A.CHANGE_ROLE,         OWNER,  ADMIN),
    (OWNER,  A.CHANGE_ROLE,         OWNER,  MEMBER),
    (OWNER,  A.CHANGE_ROLE,         ADMIN,  OWNER),
    (OWNER,  A.CHANGE_ROLE,         ADMIN,  ADMIN),
    (OWNER,  A.CHANGE_ROLE,         ADMIN,  MEMBER),
    (OWNER,  A.CHANGE_ROLE,         MEMBER, OWNER),
    (OWNER,  A.CHANGE_ROLE,         MEMBER, ADMIN),
    (OWNER,  A.CHANGE_ROLE,         MEMBER, MEMBER),
    (ADMIN,  A.CHANGE_ROLE,         ADMIN,  ADMIN),
    (ADMIN,  A.CHANGE_ROLE,         ADMIN,  MEMBER),
    (ADMIN,  A.CHANGE_ROLE,         MEMBER, ADMIN),
    (ADMIN,  A.CHANGE_ROLE,         MEMBER, MEMBER),

    # someone else; target = their role
    (OWNER,  A.REMOVE_MEMBER,       OWNER,  None),
    (OWNER,  A.REMOVE_MEMBER,       ADMIN,  None),
    (OWNER,  A.REMOVE_MEMBER,       MEMBER, None),
    (ADMIN,  A.REMOVE_MEMBER,       MEMBER, None),

    (OWNER,  A.LEAVE,               None,   None),
    (ADMIN,  A.LEAVE,               None,   None),
    (MEMBER, A.LEAVE,               None,   None),
})
# fmt: on

# Why a member with no rule at all for the action is refused.
DENIED: Final[dict[Action, str]] = {
    A.VIEW_TEAM: "You are not a member of this team.",
    A.EDIT_TEAM: "Only owners and admins can change the team.",
    A.DELETE_TEAM: "Only owners can delete the team.",
    A.READ_AUDIT: "Only owners and admins can read the audit log.",
    A.VIEW_INVITATIONS: "Only owners and admins can see invitations.",
    A.INVITE: "Only owners and admins can invite people.",
    A.MANAGE_INVITATION: "Only owners and admins can change invitations.",
    A.CHANGE_ROLE: "Only owners and admins can change roles.",
    A.REMOVE_MEMBER: "Only owners and admins can remove members.",
    A.LEAVE: "You are not a member of this team.",
}

# Why a member who has some rules for the action is refused this target or new role.
DENIED_SCOPE: Final[dict[Action, str]] = {
    A.INVITE: "Only owners can invite owners.",
    A.MANAGE_INVITATION: "Only owners can change invitations that make someone an owner.",
    A.CHANGE_ROLE: "Making someone an owner, or changing an owner's role, is an owner's act.",
    A.REMOVE_MEMBER: "Admins can remove members only; only owners can remove admins and owners.",
}


def allows(role: Role, action: Action, *, target: Role | None = None, new: Role | None = None) -> bool:
    """Whether the table lets a member with `role` do `action` to `target` (giving `new`)."""
    return (role, action, target, new) in RULES


def allows_any(role: Role, action: Action) -> bool:
    """Whether a member with `role` may do `action` to someone, whatever the target or new role."""
    return any(rule[0] == role and rule[1] == action for rule in RULES)


def require(
    role: Role | None,
    action: Action,
    *,
    target: Role | None = None,
    new: Role | None = None,
    hidden: str = "Team not found.",
) -> Role:
    """The actor's role if the table allows the action; NotFound for outsiders, else PermissionDenied."""
    if role is None:
        raise NotFound(hidden)
    if not allows_any(role, action):
        raise PermissionDenied(DENIED[action])
    if not allows(role, action, target=target, new=new):
        raise PermissionDenied(DENIED_SCOPE.get(action, DENIED[action]))
    return role


def require_any(role: Role | None, action: Action, *, hidden: str = "Team not found.") -> Role:
    """The actor's role if it has any rule for the action (checked before looking up the target)."""
    if role is None:
        raise NotFound(hidden)
    if not allows_any(role, action):
        raise PermissionDenied(DENIED[action])
    return role
