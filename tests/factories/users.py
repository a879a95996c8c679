"""Users made straight in the database, each with a unique email and username."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from teamsapp.core.db import session_scope
from teamsapp.core.security import hash_password
from teamsapp.models import User

DEFAULT_PASSWORD = "correct horse battery staple"


def new_account(**overrides: Any) -> dict[str, Any]:
    """A sign-up body (POST /api/v1/user) with a unique email and username; `overrides` replace fields."""
    suffix = secrets.token_hex(4)
    return {
        "email": f"new-{suffix}@example.com",
        "username": f"new_{suffix}",
        "full_name": "Ada Lovelace",
        "password": DEFAULT_PASSWORD,
        **overrides,
    }


async def make_user(
    *,
    verified: bool = True,
    superuser: bool = False,
    password: str = DEFAULT_PASSWORD,
    email: str | None = None,
    username: str | None = None,
    full_name: str = "Test User",
) -> User:
    """Insert and commit a user; the password is hashed as the app hashes it."""
    suffix = secrets.token_hex(4)
    user = User(
        email=email or f"user-{suffix}@example.com",
        username=username or f"user_{suffix}",
        full_name=full_name,
        password_hash=await hash_password(password),
        is_verified=verified,
        is_superuser=superuser,
    )
    async with session_scope() as session:
        session.add(user)
    return user


async def login(client: httpx.AsyncClient, user: User, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    """Log `user` in through POST /api/v1/user/auth and return the bearer header.

    By email once the address is confirmed; before that only the username logs in.
    """
    name = user.email if user.is_verified else user.username
    response = await client.post("/api/v1/user/auth", json={"login": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
