"""teamsapp: team management in pure Python (Reflex UI + FastAPI REST over one service layer)."""
