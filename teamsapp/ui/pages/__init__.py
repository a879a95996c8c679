"""One module per page, each with its own state."""

from teamsapp.ui.pages import home

__all__ = ["home"]
