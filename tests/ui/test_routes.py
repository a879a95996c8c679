"""Route constants and link builders, and the guard on where a log-in may send the browser."""

from __future__ import annotations

import pytest

from teamsapp.ui import routes


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("/teams/42", "/teams/42"),
        ("/invite?token=abc", "/invite?token=abc"),
        (None, routes.TEAMS),
        ("", routes.TEAMS),
        ("https://evil.example/", routes.TEAMS),
        ("//evil.example/x", routes.TEAMS),
        ("/\\evil.example", routes.TEAMS),
        ("/login?next=/teams", routes.TEAMS),
        ("/api/ui/session?code=x", routes.TEAMS),
        ("/" + "x" * routes.NEXT_MAX, routes.TEAMS),
    ],
)
def test_safe_next_keeps_only_local_pages(asked: str | None, expected: str) -> None:
    assert routes.safe_next(asked) == expected


def test_link_builders_encode_their_query() -> None:
    assert routes.login("/invite?token=a b") == "/login?next=%2Finvite%3Ftoken%3Da+b"
    assert routes.login() == routes.LOGIN
    assert routes.invite("t0k") == "/invite?token=t0k"
    assert routes.team("abc") == "/teams/abc"
    assert routes.session_start("c", "/teams") == "/api/ui/session?code=c&next=%2Fteams"
