"""HTTP answers the OpenAPI schema promises beyond each route: 405 with every allowed method, and
an unreadable body refused like any other malformed body.

Starlette answers 405 with the methods of the first route whose path matched, so a path served by
two routes (GET and PUT /api/v1/redis) named only one. A literal path such as /api/v1/user/logout
(POST) is also matched by GET /api/v1/user/{user_id}, so a GET on it answered 422 about a malformed
id; a guard route per literal path makes its other methods a 405 instead. FastAPI answers a body it
cannot decode (not UTF-8) with an undocumented 400, where malformed JSON gets a 422: both are a 422.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
UNREADABLE_BODY = [
    {"type": "json_invalid", "loc": ["body"], "msg": "The body is not JSON in UTF-8", "input": {}}
]


async def _method_not_allowed(_request: Request) -> Response:
    raise StarletteHTTPException(status_code=405)


def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


def install_protocol(app: FastAPI) -> None:
    """Add the guard routes and the 405 and 400 handling; call it after every router is included."""
    paths: dict[str, set[str]] = {}
    for template, operations in app.openapi()["paths"].items():
        paths[template] = {method.upper() for method in operations}
    literal = {template: methods for template, methods in paths.items() if "{" not in template}
    templated = [(_path_pattern(template), methods) for template, methods in paths.items() if "{" in template]
    app.router.routes[0:0] = [
        Route(path, _method_not_allowed, methods=sorted(METHODS - methods), include_in_schema=False)
        for path, methods in literal.items()
    ]

    def allowed(path: str) -> set[str]:
        if path in literal:
            return literal[path]
        return {method for pattern, methods in templated if pattern.match(path) for method in methods}

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:
            # Routes never raise HTTP errors themselves: a 400 is the framework failing to read the body.
            return JSONResponse({"detail": UNREADABLE_BODY}, status_code=422)
        methods = allowed(request.url.path) if exc.status_code == 405 else set()
        if not methods:
            return await http_exception_handler(request, exc)
        headers = {"Allow": ", ".join(sorted(methods))}
        return JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers=headers)

    app.add_exception_handler(StarletteHTTPException, http_error)
