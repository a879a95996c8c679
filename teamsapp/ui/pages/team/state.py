"""The team page's state: the team as its viewer may see it, and the actions on it.

Every handler authenticates the caller and calls the team and invitation services, which decide
what is allowed (the same functions as the REST routes). The rows carry what the page may offer
(role choices, remove buttons), computed from the same permission table the services enforce.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

import reflex as rx
from reflex.event import EventSpec
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth.service import Principal
from teamsapp.core.errors import DomainError, NotFound
from teamsapp.invitations import service as invitation_service
from teamsapp.models import Role, User
from teamsapp.teams import permissions
from teamsapp.teams import service as team_service
from teamsapp.teams.permissions import Action
from teamsapp.teams.schemas import AuditEventPublic, TeamPublic
from teamsapp.ui import routes
from teamsapp.ui.state.auth import AuthState, acting, failure, parse_id

AUDIT_PAGE = 50
GONE = "This team no longer exists, or you are no longer a member of it."
DELETED = "This team was deleted."

Work = Callable[[AsyncSession, User, uuid.UUID], Awaitable[object]]


class InvitationChange(Protocol):
    """An invitation service function that changes one invitation."""

    def __call__(
        self, session: AsyncSession, *, actor: User, invitation_id: uuid.UUID
    ) -> Awaitable[object]: ...


@dataclasses.dataclass
class MemberRow:
    """A member as the page shows them, with what the viewer may do to them."""

    user_id: str
    username: str
    full_name: str
    role: str
    is_me: bool
    role_choices: list[str]
    removable: bool


@dataclasses.dataclass
class InvitationRow:
    """An invitation with its computed status."""

    id: str
    role: str
    email: str
    status: str
    uses: str
    expires_at: str
    manageable: bool


@dataclasses.dataclass
class AuditRow:
    """One line of the audit log."""

    id: str
    when: str
    actor: str
    action: str
    subject: str


def _member_rows(detail: TeamPublic, viewer: uuid.UUID) -> list[MemberRow]:
    mine = detail.role
    rows = []
    for member in detail.members:
        choices = [
            role.value
            for role in Role
            if role == member.role
            or permissions.allows(mine, Action.CHANGE_ROLE, target=member.role, new=role)
        ]
        rows.append(
            MemberRow(
                user_id=str(member.user_id),
                username=member.username,
                full_name=member.full_name,
                role=member.role.value,
                is_me=member.user_id == viewer,
                role_choices=choices if len(choices) > 1 else [],
                removable=member.user_id != viewer
                and permissions.allows(mine, Action.REMOVE_MEMBER, target=member.role),
            )
        )
    return rows


def _audit_row(event: AuditEventPublic) -> AuditRow:
    return AuditRow(
        id=str(event.id),
        when=event.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        actor=event.actor_username or "(deleted user)",
        action=event.action,
        subject=event.subject_username or "",
    )


class TeamState(rx.State):
    """One team's page."""

    team_key: rx.Field[str] = rx.field("")
    name: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    role: rx.Field[str] = rx.field("")
    default_role: rx.Field[str] = rx.field(Role.MEMBER.value)
    invitation_ttl_hours: rx.Field[float] = rx.field(72.0)
    members: rx.Field[list[MemberRow]] = rx.field(default_factory=list)
    invitations: rx.Field[list[InvitationRow]] = rx.field(default_factory=list)
    audit: rx.Field[list[AuditRow]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    gone: rx.Field[str] = rx.field("")
    busy: rx.Field[str] = rx.field("")

    @rx.var
    def can_manage(self) -> bool:
        """Owners and admins see invitations, settings and the audit log."""
        return self.role in (Role.OWNER.value, Role.ADMIN.value)

    @rx.var
    def is_owner(self) -> bool:
        """Owners may delete the team."""
        return self.role == Role.OWNER.value

    def _team_id(self) -> uuid.UUID | None:
        return parse_id(self.team_key)

    def _clear(self) -> None:
        self.name = self.description = self.role = ""
        self.members, self.invitations, self.audit = [], [], []
        self.loaded = False
        self.gone = ""
        self.busy = ""

    async def _load(self, session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> None:
        detail = await team_service.get_team(session, actor=principal.user, team_id=team_id)
        self.name, self.description, self.role = detail.name, detail.description, detail.role.value
        self.default_role = detail.default_role.value
        self.invitation_ttl_hours = detail.invitation_ttl_hours
        self.members = _member_rows(detail, principal.user.id)
        if detail.role in (Role.OWNER, Role.ADMIN):
            invitations = await invitation_service.list_invitations(
                session, actor=principal.user, team_id=team_id
            )
            self.invitations = [
                InvitationRow(
                    id=str(item.id),
                    role=item.role.value,
                    email=item.email or "anyone with the link",
                    status=item.status.value.replace("_", " "),
                    uses=f"{item.uses} / {item.max_uses}" if item.max_uses else str(item.uses),
                    expires_at=item.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
                    manageable=permissions.allows(detail.role, Action.MANAGE_INVITATION, target=item.role),
                )
                for item in invitations
            ]
            page = await team_service.list_audit_events(
                session, actor=principal.user, team_id=team_id, limit=AUDIT_PAGE
            )
            self.audit = [_audit_row(event) for event in page.items]
        else:
            self.invitations, self.audit = [], []
        self.loaded = True
        self.gone = ""

    def _lost(self, message: str = GONE) -> None:
        self._clear()
        self.gone = message

    @rx.event
    async def load(self) -> EventSpec | None:
        """On page load: the team from the address, as the logged-in viewer may see it."""
        self._clear()
        # The address is /teams/<id> (the static build may add a slash).
        self.team_key = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        team_id = self._team_id()
        try:
            async with acting(self, page_load=True) as (session, principal):
                if team_id is None:
                    raise NotFound(GONE)
                await self._load(session, principal, team_id)
        except NotFound:
            self._lost()
        except DomainError as error:
            return await failure(self, error)
        return None

    async def _live(self, team_id: uuid.UUID, kind: str) -> None:
        """Re-read after a change pushed from elsewhere (another user, tab or the REST API)."""
        auth = await self.get_state(AuthState)
        try:
            async with acting(self) as (session, principal):
                await auth._load_teams(session, principal)
                if self.team_key != str(team_id) or self.gone:
                    return
                try:
                    await self._load(session, principal, team_id)
                except NotFound:
                    self._lost(DELETED if kind == "team.deleted" else GONE)
        except DomainError:
            return

    async def _run(
        self, busy: str, work: Work, success: str, *, leaving: bool = False
    ) -> AsyncIterator[EventSpec | None]:
        """Run one change on this team and say how it went.

        Then the page shows the team as it is now or, once the viewer left or deleted it, the team list.
        """
        team_id = self._team_id()
        if team_id is None or self.busy:
            return
        self.busy = busy
        yield None
        try:
            async with acting(self) as (session, principal):
                await work(session, principal.user, team_id)
                if not leaving:
                    try:
                        await self._load(session, principal, team_id)
                    except NotFound:
                        self._lost()
                await (await self.get_state(AuthState))._load_teams(session, principal)
        except DomainError as error:
            self.busy = ""
            yield await failure(self, error)
            return
        self.busy = ""
        yield rx.toast.success(success)
        if leaving:
            self._clear()
            yield rx.redirect(routes.TEAMS)

    @rx.event
    async def change_role(self, user_id: str, role: str) -> AsyncIterator[EventSpec | None]:
        """Give a member another role."""
        member = parse_id(user_id)
        if member is None or str(role) not in {item.value for item in Role}:
            yield rx.toast.error("That is not a member or a role.")
            return

        async def work(session: AsyncSession, actor: User, team_id: uuid.UUID) -> object:
            return await team_service.change_role(
                session, actor=actor, team_id=team_id, user_id=member, role=Role(str(role))
            )

        async for event in self._run(f"role:{member}", work, f"Role changed to {role}."):
            yield event

    @rx.event
    async def remove_member(self, user_id: str) -> AsyncIterator[EventSpec | None]:
        """Remove someone else from the team."""
        member = parse_id(user_id)
        if member is None:
            yield rx.toast.error("That is not a member.")
            return

        async def work(session: AsyncSession, actor: User, team_id: uuid.UUID) -> object:
            await team_service.remove_member(session, actor=actor, team_id=team_id, user_id=member)
            return None

        async for event in self._run(f"remove:{member}", work, "Member removed."):
            yield event

    async def _on_invitation(
        self, invitation_id: str, verb: str, change: InvitationChange, success: str
    ) -> AsyncIterator[EventSpec | None]:
        """Run one invitation service `change` on the invitation the browser named."""
        invitation = parse_id(invitation_id)
        if invitation is None:
            yield rx.toast.error("That is not an invitation.")
            return

        async def work(session: AsyncSession, actor: User, team_id: uuid.UUID) -> object:
            return await change(session, actor=actor, invitation_id=invitation)

        async for event in self._run(f"{verb}:{invitation}", work, success):
            yield event

    @rx.event
    async def toggle_invitation(self, invitation_id: str) -> AsyncIterator[EventSpec | None]:
        """Disable an invitation, or enable it again."""
        toggle = invitation_service.toggle_invitation
        async for event in self._on_invitation(invitation_id, "toggle", toggle, "Invitation updated."):
            yield event

    @rx.event
    async def delete_invitation(self, invitation_id: str) -> AsyncIterator[EventSpec | None]:
        """Delete an invitation; its link stops working."""
        delete = invitation_service.delete_invitation
        async for event in self._on_invitation(invitation_id, "delete", delete, "Invitation deleted."):
            yield event

    @rx.event
    async def leave(self) -> AsyncIterator[EventSpec | None]:
        """Leave the team (the last owner cannot)."""

        async def work(session: AsyncSession, actor: User, team_id: uuid.UUID) -> object:
            await team_service.remove_member(session, actor=actor, team_id=team_id, user_id=actor.id)
            return None

        async for event in self._run("leave", work, "You left the team.", leaving=True):
            yield event

    @rx.event
    async def delete_team(self) -> AsyncIterator[EventSpec | None]:
        """Delete the team with its memberships and invitations (owners)."""

        async def work(session: AsyncSession, actor: User, team_id: uuid.UUID) -> object:
            await team_service.delete_team(session, actor=actor, team_id=team_id)
            return None

        async for event in self._run("delete", work, "Team deleted.", leaving=True):
            yield event
