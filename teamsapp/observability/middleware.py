"""ASGI middleware of the API app: request id, HTTP metrics and one access line per request.

It sits on the FastAPI app, which inside the full app also fronts Reflex (the Reflex backend is
mounted under it), so every HTTP request is seen once. The route label is the template of the
route that answered (`/api/v1/team/{team_id}`), never the raw path; requests no route claimed
share the label `unmatched`, and the Reflex frontend's files and pages share `/{path}`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from teamsapp.observability.logging import REQUEST_ID_HEADER, bind_request_id, new_request_id, request_id_var
from teamsapp.observability.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS, HTTP_REQUESTS_IN_PROGRESS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
QUIET_ROUTES = frozenset(
    {"/metrics", "/api/v1/monitoring/health", "/api/v1/monitoring/live", "/api/v1/monitoring/ready"}
)

access_logger = logging.getLogger("teamsapp.access")


def _api_route_templates(app: object) -> dict[int, str]:
    # FastAPI keeps an included route's own path on the route and its router prefix elsewhere:
    # `iter_route_contexts` gives both together, e.g. "/api/v1" + "/team/{team_id}".
    routes = getattr(app, "routes", None)
    if routes is None:
        return {}
    return {
        id(context.original_route): context.path_format
        for context in iter_route_contexts(routes)
        if context.path_format is not None
    }


def route_template(scope: Scope, status: int, api_templates: dict[int, str]) -> str:
    """The template of the route that answered, from what the routers left in the scope."""
    route = scope.get("route")
    prefix = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    if route is not None and id(route) in api_templates:
        label = api_templates[id(route)]
    elif route is not None and getattr(route, "path_format", None) is not None:
        # A Starlette route inside a mount (the Reflex backend); a mount that answered itself
        # (the frontend files) already has its own path in root_path.
        if isinstance(route, Mount):
            prefix = prefix[: len(prefix) - len(route.path)]
        label = f"{prefix}{route.path_format}"
    elif prefix:
        # A FastAPI mount (the docs' static files) leaves no route, only its path.
        label = f"{prefix}/{{path}}"
    else:
        return UNMATCHED
    if label == "/{path}" and status == 404:
        # The catch-all Reflex mount found nothing.
        return UNMATCHED
    return label or "/"


class RequestMiddleware:
    """Request id (header in, contextvar, header out), metrics and the access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._api_templates: dict[int, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection; only plain HTTP requests are measured."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._api_templates is None:
            self._api_templates = _api_route_templates(scope.get("app"))
        api_templates = self._api_templates
        incoming = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode())
        request_id = new_request_id(incoming.decode("latin-1") if incoming else None)
        token = bind_request_id(request_id)
        method = scope["method"] if scope["method"] in METHODS else "other"
        status = 500
        header = (REQUEST_ID_HEADER.lower().encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        in_progress = HTTP_REQUESTS_IN_PROGRESS.labels(method)
        in_progress.inc()
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            access_logger.exception("unhandled error in %s %s", method, scope.get("path", ""))
            raise
        finally:
            elapsed = time.perf_counter() - start
            in_progress.dec()
            route = route_template(scope, status, api_templates)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(method, route).observe(elapsed)
            _access_line(method, route, scope, status, elapsed)
            request_id_var.reset(token)


def _access_line(method: str, route: str, scope: Scope, status: int, elapsed: float) -> None:
    # API calls at INFO; probes, scrapes, frontend files and the event socket's polls at DEBUG.
    quiet = route in QUIET_ROUTES or not route.startswith("/api/")
    level = logging.WARNING if status >= 500 else logging.DEBUG if quiet else logging.INFO
    if access_logger.isEnabledFor(level):
        access_logger.log(
            level,
            "%s %s %d %.1fms",
            method,
            scope.get("path", ""),
            status,
            elapsed * 1000,
            extra={"route": route, "status": status, "duration_ms": round(elapsed * 1000, 1)},
        )
