"""The one shared state: who is logged in, checked on every event through the auth service.

The credential is the HTTP-only session cookie sent with the websocket handshake
(`teamsapp.ui.browser_session`); the tokens stay on the server. The public vars here are the
user's own profile and appearance, for the navigation bar and the appearance sync.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import reflex as rx
from reflex.config import get_config
from reflex.event import EventSpec
from sqlmodel.ext.asyncio.session import AsyncSession

from teamsapp.auth.service import Principal
from teamsapp.core.db import session_scope
from teamsapp.core.errors import DomainError
from teamsapp.models import User
from teamsapp.teams import service as team_service
from teamsapp.ui import browser_session, routes, tabs
from teamsapp.ui.browser_session import SignedOut


class AuthState(rx.State):
    """The logged-in user as the navigation bar shows them, and their teams for the switcher."""

    user_id: rx.Field[str] = rx.field("")
    username: rx.Field[str] = rx.field("")
    full_name: rx.Field[str] = rx.field("")
    email: rx.Field[str] = rx.field("")
    is_verified: rx.Field[bool] = rx.field(False)
    # Empty until the server says: the device keeps what it last showed (no flash on first paint).
    theme: rx.Field[str] = rx.field("")
    accent_color: rx.Field[str] = rx.field("")
    teams: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    # Where to go after the first log-in when the way there passed through a mailed link (sign-up).
    after_login: str = rx.LocalStorage("", name="teamsapp-after-login")
    # Whether this tab has asked the server yet: until then the navigation bar shows no guess.
    known: rx.Field[bool] = rx.field(False)

    @rx.var
    def logged_in(self) -> bool:
        """Whether a user is logged in in this tab."""
        return self.user_id != ""

    def _client(self) -> browser_session.Client:
        headers = self.router.headers
        return browser_session.Client(
            handle=browser_session.handle_from_cookie_header(headers.cookie),
            device=headers.user_agent,
            ip=self.router.session.client_ip,
        )

    def _remember(self, user: User) -> None:
        self.user_id = str(user.id)
        self.username = user.username
        self.full_name = user.full_name
        self.email = user.email
        self.is_verified = user.is_verified
        self.theme = user.theme
        self.accent_color = user.accent_color

    def _forget(self) -> None:
        self.user_id = self.username = self.full_name = self.email = ""
        self.is_verified = False
        self.teams = []

    async def _require_principal(self, session: AsyncSession) -> Principal:
        """The caller behind this connection's cookie, through `auth_service.authenticate`.

        Raises `SignedOut` when there is none; `failure()` turns that into the redirect to
        /login?next=<this page>.
        """
        self.known = True
        try:
            principal = await browser_session.authenticate(session, self._client())
        except SignedOut:
            self._forget()
            raise
        self._remember(principal.user)
        return principal

    async def _load_teams(self, session: AsyncSession, principal: Principal) -> None:
        teams = await team_service.list_teams(session, actor=principal.user)
        self.teams = [{"id": str(team.id), "name": team.name, "role": str(team.role)} for team in teams]

    def _current_path(self) -> str:
        url = self.router.url
        # The static build serves pages as directories (`/settings/`); links use the plain path.
        path = url.path.rstrip("/") or "/"
        return f"{path}?{url.query}" if url.query else path

    def _to_login(self) -> EventSpec:
        return rx.redirect(routes.login(self._current_path()), replace=True)

    @rx.event
    async def guard(self) -> EventSpec | None:
        """On load of a private page without data of its own: log-in check and the team switcher."""
        try:
            async with acting(self, page_load=True):
                pass
        except DomainError as error:
            return await failure(self, error)
        return None

    @rx.event
    async def peek(self) -> None:
        """On load of a public page: learn who is logged in, if anyone, without sending them away."""
        try:
            async with session_scope() as session:
                principal = await self._require_principal(session)
                await self._load_teams(session, principal)
        except DomainError:
            return

    @rx.event
    async def logout(self) -> EventSpec:
        """End this browser's session everywhere it is used, then clear the cookie."""
        await browser_session.end(self._client())
        self._forget()
        return post_to(routes.session_end(routes.LOGIN))


@asynccontextmanager
async def acting(
    state: rx.State, *, page_load: bool = False
) -> AsyncIterator[tuple[AsyncSession, Principal]]:
    """One unit of work as the logged-in caller; raises `SignedOut` (a `DomainError`) when there is none.

    On a page load it also refreshes the team switcher and records the tab for live updates.
    """
    auth = await state.get_state(AuthState)
    async with session_scope() as session:
        principal = await auth._require_principal(session)
        if page_load:
            await auth._load_teams(session, principal)
            await tabs.register(principal.user.id, auth.router.session.client_token)
        yield session, principal


async def failure(state: rx.State, error: DomainError) -> EventSpec:
    """The feedback for a refused action: back to log-in when signed out, else a toast saying why."""
    if isinstance(error, SignedOut):
        auth = await state.get_state(AuthState)
        return auth._to_login()
    return rx.toast.error(error.detail)


def go_to(url: str, *, before: str = "") -> EventSpec:
    """A full page load of a backend address (the cookie routes need one, not client routing)."""
    # The backend's public address: the app's own, or its second port under `reflex run --env dev`.
    target = json.dumps(f"{get_config().api_url.rstrip('/')}{url}")
    return rx.call_script(f"{before}\nwindow.location.assign({target});")


def post_to(url: str) -> EventSpec:
    """A full-page POST to an app address: a form of this page, so the browser sends its Origin."""
    target = json.dumps(f"{get_config().api_url.rstrip('/')}{url}")
    return rx.call_script(
        "const form = document.createElement('form');"
        f" form.method = 'post'; form.action = {target};"
        " document.body.appendChild(form); form.submit();"
    )


def parse_id(value: str) -> uuid.UUID | None:
    """An id sent by the browser, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
