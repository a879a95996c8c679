"""Health of the parts the app depends on."""
