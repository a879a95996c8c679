"""Forms are checked with the REST schemas: one field as the user types, or the whole form."""

from __future__ import annotations

from teamsapp.teams.schemas import TeamSettingsUpdate
from teamsapp.ui.forms import check_field, parse
from teamsapp.users.schemas import UserCreate


def test_one_field_is_judged_alone() -> None:
    assert "8 characters" in check_field(UserCreate, "password", "short")
    assert check_field(UserCreate, "password", "long enough now") == ""
    assert "email" in check_field(UserCreate, "email", "nope").lower()
    assert check_field(UserCreate, "username", "ada_99") == ""
    assert check_field(UserCreate, "not_a_field", "x") == ""


def test_blank_optional_fields_are_left_out() -> None:
    assert (
        check_field(TeamSettingsUpdate, "invitation_ttl_hours", "", optional=["invitation_ttl_hours"]) == ""
    )
    assert (
        check_field(TeamSettingsUpdate, "invitation_ttl_hours", "0", optional=["invitation_ttl_hours"]) != ""
    )


def test_a_whole_form_gives_the_schema_or_every_message() -> None:
    data, errors = parse(
        UserCreate,
        {
            "email": "ada@example.com",
            "username": "ada",
            "full_name": "Ada",
            "password": "12345678",
            "extra": 1,
        },
    )
    assert data is not None
    assert data.email == "ada@example.com"
    assert errors == {}

    data, errors = parse(UserCreate, {"email": "x", "username": "a", "full_name": "", "password": "1"})
    assert data is None
    assert set(errors) == {"email", "username", "full_name", "password"}

    data, errors = parse(UserCreate, ["not", "a", "form"])  # type: ignore[arg-type]
    assert data is None
    assert errors
