"""The REST API; `teamsapp.api:api` can be served alone by any ASGI server."""

from teamsapp.api.app import create_api

api = create_api()

__all__ = ["api"]
