"""A verified access token is remembered only until it expires, and only under the key that signed it."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import jwt
import pytest

from teamsapp.auth import tokens
from teamsapp.core.config import get_settings
from teamsapp.core.errors import Unauthorized


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    now = dt.datetime.now(dt.UTC)
    token = tokens.encode_access_token(user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=now)
    assert tokens.decode_access_token(token) == tokens.decode_access_token(token)
    expires = now.timestamp() + 60 * 60 * 24
    monkeypatch.setattr(time, "time", lambda: expires + 1)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(expires + 1), raising=False)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.decode_access_token(token)


def test_a_remembered_token_is_checked_again_under_another_key(monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.encode_access_token(
        user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=dt.datetime.now(dt.UTC)
    )
    tokens.decode_access_token(token)
    settings = get_settings()
    monkeypatch.setattr(settings, "secret_key", "another key of at least thirty-two characters")
    with pytest.raises(Unauthorized, match="not valid"):
        tokens.decode_access_token(token)


class _FrozenDatetime:
    """Stands in for PyJWT's `datetime` module reference so its expiry check sees `at`."""

    def __init__(self, at: float) -> None:
        self._at = at

    def __getattr__(self, name: str) -> object:
        return getattr(dt.datetime, name)

    def now(self, tz: dt.tzinfo | None = None) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._at, tz)
