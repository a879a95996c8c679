"""The API served alone by uvicorn logs cleanly: its lines go through the app's handler, and a
record the redaction filter has seen still suits uvicorn's own access formatter.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
from uvicorn.logging import AccessFormatter

from teamsapp.observability.logging import REDACTED, RedactingFilter
from tests.resilience.processes import AppServer
from tests.test_embedded_defaults import _embedded_env


def test_a_redacted_access_record_keeps_the_arguments_uvicorn_unpacks() -> None:
    args = ("127.0.0.1:5000", "GET", "/verify?token=S3cr3tT0kenValue", "1.1", 200)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )
    RedactingFilter().filter(record)
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(record)
    assert line == f"127.0.0.1:5000 GET /verify?token={REDACTED} HTTP/1.1 200 OK"


def test_a_secret_split_between_template_and_argument_is_still_redacted() -> None:
    record = logging.LogRecord("demo", logging.INFO, __file__, 1, "password=%s", ("hunter2hunter2",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == f"password={REDACTED}"


def test_uvicorn_serving_the_api_alone_writes_no_logging_error(tmp_path: Path) -> None:
    env = _embedded_env(tmp_path)
    server = AppServer(env=env, log_path=tmp_path / "uvicorn.log", inherit=False, log_level="info")
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.post("/api/v1/echo", json={"message": "hi"}).status_code == 200
            assert http.get("/api/v1/teams").status_code == 401
            assert http.get("/api/v1/monitoring/live").status_code == 200
        deadline = time.monotonic() + 10
        while "GET /api/v1/teams 401" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.stop()
    log = server.log()
    assert "Logging error" not in log and "Traceback" not in log, log
    assert "POST /api/v1/echo 200" in log and "GET /api/v1/teams 401" in log
    # uvicorn's own lines, in the app's format.
    assert "uvicorn.error: Application startup complete." in log
