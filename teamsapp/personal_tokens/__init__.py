"""Personal API tokens with scopes (SPEC 12)."""
