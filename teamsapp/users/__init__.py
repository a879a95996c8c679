"""Accounts: sign-up, verification, profile, settings, appearance, password reset."""
