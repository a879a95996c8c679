"""Log-in sessions, access and refresh tokens, rate limits."""
