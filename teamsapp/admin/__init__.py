"""Administration by superusers (SPEC 14): find accounts, change them, end their sessions."""
