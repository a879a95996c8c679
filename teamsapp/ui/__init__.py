"""The Reflex UI: pages bound to states that call the same services as the REST API."""
