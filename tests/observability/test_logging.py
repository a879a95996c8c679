"""Structured logs: the request id on every line and in the response, JSON or text, redaction."""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from teamsapp.core.config import Settings
from teamsapp.observability import logging as app_logging
from teamsapp.observability.middleware import RequestMiddleware
from tests.observability.processes import ApiServer
from tests.services import wait_for

SECRET = secrets.token_urlsafe(40)
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ"


def _settings(environment: str) -> Settings:
    return Settings(environment=environment, secret_key=SECRET, mail_password="smtp-pass-1234")


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    """The app's JSON handler, writing to a buffer instead of stderr, on the `demo` logger."""
    buffer = io.StringIO()
    handler = app_logging.build_handler(_settings("test"), buffer)
    demo = logging.getLogger("demo")
    demo.addHandler(handler)
    demo.setLevel(logging.DEBUG)
    yield buffer, handler
    demo.removeHandler(handler)


def _lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line]


def _demo_app() -> FastAPI:
    app = FastAPI()
    demo = logging.getLogger("demo")

    @app.get("/work/{item}")
    async def work(item: str) -> dict[str, str]:
        demo.info("first step of %s", item)
        demo.warning("second step", extra={"item": item})
        return {"item": item}

    app.add_middleware(RequestMiddleware)
    return app


async def test_every_line_of_a_request_carries_its_id_which_the_response_returns(
    captured: tuple[io.StringIO, logging.Handler],
) -> None:
    buffer, _ = captured
    transport = httpx.ASGITransport(app=_demo_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        first = await http.get("/work/a")
        second = await http.get("/work/b", headers={"X-Request-ID": "upstream-42"})
        forged = await http.get("/work/c", headers={"X-Request-ID": "bad id\nINFO fake line"})
    ids = [response.headers["X-Request-ID"] for response in (first, second, forged)]
    assert len(ids[0]) == 32
    assert ids[1] == "upstream-42"
    assert ids[2] != "bad id\nINFO fake line" and len(ids[2]) == 32
    lines = _lines(buffer)
    assert [line["request_id"] for line in lines] == [ids[0], ids[0], ids[1], ids[1], ids[2], ids[2]]
    assert lines[1]["item"] == "a"
    assert {line["level"] for line in lines} == {"INFO", "WARNING"}
    assert all({"time", "logger", "message", "pid"} <= set(line) for line in lines)


def test_outside_a_request_the_id_is_a_dash(captured: tuple[io.StringIO, logging.Handler]) -> None:
    buffer, _ = captured
    logging.getLogger("demo").info("background work")
    assert _lines(buffer)[0]["request_id"] == "-"


def test_dev_logs_are_readable_text_with_the_request_id() -> None:
    handler = app_logging.build_handler(_settings("dev"))
    record = logging.LogRecord("teamsapp.demo", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    token = app_logging.bind_request_id("req-1")
    try:
        for log_filter in handler.filters:
            assert isinstance(log_filter, logging.Filter)
            log_filter.filter(record)
    finally:
        app_logging.request_id_var.reset(token)
    line = handler.format(record)
    assert "INFO" in line and "[req-1]" in line and "teamsapp.demo: hello there" in line
    assert not line.startswith("{")


@pytest.mark.parametrize(
    ("message", "leak"),
    [
        ("login with password=hunter2hunter2", "hunter2hunter2"),
        ('body {"password": "hunter2 with spaces", "login": "bob"}', "hunter2 with spaces"),
        ("{'new_password': 'p4ssw0rd!!'}", "p4ssw0rd!!"),
        ("Authorization: Bearer abcdef123456.ghijkl", "abcdef123456"),
        (f"decoded {JWT}", JWT),
        ("refresh_token=Zm9vYmFyYmF6cXV4cXV1eA", "Zm9vYmFyYmF6cXV4cXV1eA"),
        ("open http://localhost:3000/reset-password?token=S3cr3tT0kenValue", "S3cr3tT0kenValue"),
        ("db postgresql://teamsapp:dbpa55word@db:5432/teamsapp", "dbpa55word"),
        ("key SG.abcdefghijklmnop.qrstuvwxyz0123456789", "SG.abcdefghijklmnop"),
        (f"the key is {SECRET}", SECRET),
        ("smtp login smtp-pass-1234 failed", "smtp-pass-1234"),
        ("api_key: 'k-123456789'", "k-123456789"),
        ("(psycopg.DataError) bad\n[parameters: {'hash_1': 'abc123hashvalue'}]", "abc123hashvalue"),
    ],
)
def test_redaction_removes_passwords_tokens_and_secrets(
    captured: tuple[io.StringIO, logging.Handler], message: str, leak: str
) -> None:
    buffer, _ = captured
    logging.getLogger("demo").warning(message)
    written = buffer.getvalue()
    assert leak not in written
    assert app_logging.REDACTED in written


def test_redaction_covers_arguments_extra_fields_and_tracebacks(
    captured: tuple[io.StringIO, logging.Handler],
) -> None:
    buffer, _ = captured
    demo = logging.getLogger("demo")
    demo.info("user %s", {"email": "a@b.c", "password": "argpass-9876"})
    demo.info("extra", extra={"access_token": "extra-token-5555", "context": {"secret": "nested-7777"}})
    try:
        raise ValueError("connect failed for postgresql://u:tbpass-4444@host/db")
    except ValueError:
        demo.exception("boom")
    written = buffer.getvalue()
    for leak in ("argpass-9876", "extra-token-5555", "nested-7777", "tbpass-4444"):
        assert leak not in written, leak
    assert "a@b.c" in written
    assert "ValueError" in str(_lines(buffer)[-1]["exception"])


def test_dev_keeps_the_link_tokens_the_log_mailer_prints() -> None:
    dev = app_logging.RedactingFilter(keep_link_tokens=True)
    link = "http://localhost:8000/verify?token=AbCdEf123456"
    assert dev.redact(f"mail to a@b.c: {link}") == f"mail to a@b.c: {link}"
    assert "hunter2x" not in dev.redact("password=hunter2x")
    assert "AbCdEf123456" not in app_logging.RedactingFilter().redact(link)


def test_the_server_writes_json_lines_with_the_request_id(api_server: ApiServer) -> None:
    request_id = f"obs-{secrets.token_hex(6)}"
    response = httpx.post(
        f"{api_server.url}/api/v1/echo", json={"message": "hi"}, headers={"X-Request-ID": request_id}
    )
    assert response.headers["X-Request-ID"] == request_id

    def access_lines() -> list[dict[str, object]]:
        # The access line is written once the answer has gone out: wait for it.
        lines = [json.loads(line) for line in api_server.log().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("request_id") == request_id]

    wait_for(lambda: bool(access_lines()), timeout=10, what="the access line in the server log")
    access = access_lines()[0]
    assert access["route"] == "/api/v1/echo" and access["status"] == 200
    assert access["logger"] == "teamsapp.access" and access["level"] == "INFO"
