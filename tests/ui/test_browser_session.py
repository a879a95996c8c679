"""The browser's log-in record: cookie parsing, one-time codes, refresh under a lock, revocation."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from teamsapp.auth import service as auth_service
from teamsapp.auth import tokens
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Unauthorized
from teamsapp.models import LoginSession
from teamsapp.models.base import utcnow
from teamsapp.ui import browser_session
from teamsapp.ui.browser_session import Client, SignedOut
from teamsapp.users.schemas import TokenPair
from tests.factories.users import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("app_lifespan")


def test_the_handle_is_read_from_the_cookie_header() -> None:
    assert browser_session.handle_from_cookie_header("a=1; teamsapp_session=abc; b=2") == "abc"
    assert browser_session.handle_from_cookie_header("") is None
    assert browser_session.handle_from_cookie_header("other=1") is None
    assert browser_session.handle_from_cookie_header('teamsapp_session="unterminated') is None
    assert browser_session.handle_from_cookie_header("teamsapp_session=" + "x" * 500) is None


async def _logged_in() -> tuple[str, TokenPair]:
    user = await make_user()
    async with session_scope() as session:
        pair = await auth_service.login(
            session, login=user.username, password=DEFAULT_PASSWORD, device="t", ip=""
        )
    handoff = await browser_session.start(pair)
    handle = await browser_session.redeem(handoff.code, handoff.binding)
    assert handle is not None
    return handle, pair


async def test_a_code_is_good_once() -> None:
    code, binding = await browser_session.start(TokenPair(access_token="a", refresh_token="r", expires_in=1))
    assert await browser_session.redeem(code, binding) is not None
    assert await browser_session.redeem(code, binding) is None
    assert await browser_session.redeem("unknown", binding) is None


async def test_a_code_is_good_only_with_the_binding_of_the_browser_that_logged_in() -> None:
    user = await make_user()
    async with session_scope() as session:
        pair = await auth_service.login(
            session, login=user.email, password=DEFAULT_PASSWORD, device="t", ip=""
        )
    code, binding = await browser_session.start(pair)
    other_code, _ = await browser_session.start(pair)
    assert await browser_session.redeem(code, None) is None
    # A refused try uses the code up (the binding cannot be guessed at leisure) and ends its log-in.
    assert await browser_session.redeem(code, binding) is None
    assert await browser_session.redeem(other_code, binding) is None
    async with session_scope() as session:
        with pytest.raises(Unauthorized):
            await auth_service.authenticate(session, access_token=pair.access_token)


async def test_no_cookie_or_an_unknown_one_is_signed_out() -> None:
    async with session_scope() as session:
        with pytest.raises(SignedOut):
            await browser_session.authenticate(session, Client(handle=None, device="", ip=""))
        with pytest.raises(SignedOut):
            await browser_session.authenticate(session, Client(handle="nobody", device="", ip=""))


async def test_an_expired_access_token_is_refreshed_once_for_many_tabs() -> None:
    handle, pair = await _logged_in()
    async with session_scope() as session:
        principal = await auth_service.authenticate(session, access_token=pair.access_token)
    stale = tokens.encode_access_token(
        user_id=principal.user.id, session_id=principal.session_id, now=utcnow() - dt.timedelta(hours=2)
    )
    await browser_session._save(
        handle, TokenPair(access_token=stale, refresh_token=pair.refresh_token, expires_in=0)
    )

    async def tab() -> None:
        async with session_scope() as session:
            await browser_session.authenticate(session, Client(handle=handle, device="t", ip=""))

    # Tabs racing on one expired token: one refreshes, the others use its result (a second use of
    # the old refresh token would end the session as a reuse).
    await asyncio.gather(*(tab() for _ in range(5)))
    async with session_scope() as session:
        row = await session.get(LoginSession, principal.session_id)
        assert row is not None
        assert row.revoked_at is None
    await tab()


async def test_a_revoked_session_signs_the_browser_out() -> None:
    handle, pair = await _logged_in()
    async with session_scope() as session:
        principal = await auth_service.authenticate(session, access_token=pair.access_token)
        await auth_service.logout(session, principal=principal)
    async with session_scope() as session:
        with pytest.raises(SignedOut):
            await browser_session.authenticate(session, Client(handle=handle, device="t", ip=""))
    assert await browser_session._load(handle) is None
