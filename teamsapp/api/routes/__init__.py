"""REST routes, one module per resource; each route only calls a service."""
