"""One module per page, each with its own state."""

from teamsapp.ui.pages import (
    account_deleted,
    admin,
    appearance,
    email_confirm,
    forgot_password,
    home,
    invite,
    login,
    not_found,
    reset_password,
    settings,
    signup,
    team,
    teams,
    verify,
)

__all__ = [
    "account_deleted",
    "admin",
    "appearance",
    "email_confirm",
    "forgot_password",
    "home",
    "invite",
    "login",
    "not_found",
    "reset_password",
    "settings",
    "signup",
    "team",
    "teams",
    "verify",
]
