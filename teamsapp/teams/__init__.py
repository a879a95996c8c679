"""Teams, their members and roles, and the team audit log."""
