"""Every UI route in one place; pages and links use these, never string literals."""

HOME = "/"
