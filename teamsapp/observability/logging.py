"""Logs an operator can follow: JSON lines outside dev, readable text in dev.

Every line written while a request or a Reflex event is handled carries its request id (a
context variable set by the HTTP middleware and the Reflex event hook). A filter redacts
passwords, tokens and secrets from the message, the extra fields and tracebacks before any
handler sees them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import urllib.parse
import uuid
from typing import Any, TextIO

from teamsapp.core.config import Settings

REQUEST_ID_HEADER = "X-Request-ID"
REDACTED = "***"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_SENSITIVE_NAME = r"[\w-]*(?:password|passwd|secret|token|api[_-]?key|authorization|cookie)[\w-]*"
_SENSITIVE_KEY = re.compile(_SENSITIVE_NAME, re.IGNORECASE)
# Loggers of the servers that write their own lines (access logs carry the query string).
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "_granian", "granian.access")
# uvicorn's loggers, when it serves the API alone: through the app's handler, in the app's format.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# Libraries that log every outgoing call at INFO: heard from at WARNING unless the level is DEBUG.
CHATTY_LOGGERS = ("httpx", "httpcore")
# Attributes every LogRecord has; anything else was passed with `extra=` and is shown.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "color_message"}  # uvicorn's copy of the message in colour
)


def new_request_id(candidate: str | None = None) -> str:
    """The caller's id when it is a short plain token, else a fresh random one."""
    if candidate and _VALID_REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


def bind_request_id(request_id: str) -> contextvars.Token[str | None]:
    """Tag the log lines of the current request or event (reset with the returned token)."""
    return request_id_var.set(request_id)


# A value after `key=` or `key: `: quoted, or up to a separator; an auth scheme goes with it.
_VALUE = r"""(?:(?:Bearer|Basic)\s+)?(?:"[^"]*"|'[^']*'|[^\s,;&}\])]+)"""


def _patterns(keep_link_tokens: bool) -> list[tuple[re.Pattern[str], str]]:
    # In dev the log mail sender prints links for the developer to click (`?token=...`).
    before_key = r"(?<![?&\w])" if keep_link_tokens else r"(?<![\w])"
    key_value = rf"""({before_key}["']?{_SENSITIVE_NAME}["']?\s*[:=]\s*)({_VALUE})"""
    return [
        (re.compile(key_value, re.IGNORECASE), rf"\1{REDACTED}"),
        (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE), rf"\1 {REDACTED}"),
        (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
        (re.compile(r"\bSG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), REDACTED),
        # Personal API tokens, wherever they appear: they carry a recognisable prefix for this.
        (re.compile(r"\btap_[A-Za-z0-9_-]{8,}"), f"tap_{REDACTED}"),
        (re.compile(r"([a-z][a-z0-9+.-]*://[^:/\s@]*:)[^@\s/]+@", re.IGNORECASE), rf"\1{REDACTED}@"),
        # SQLAlchemy errors quote the statement's parameters: hashes, addresses, user input.
        (re.compile(r"\[parameters: [^\n]*\]"), f"[parameters: {REDACTED}]"),
    ]


class RedactingFilter(logging.Filter):
    """Replaces passwords, tokens and secrets in a record with `***` (never drops the record)."""

    def __init__(self, *, secrets: list[str] | None = None, keep_link_tokens: bool = False) -> None:
        super().__init__()
        self._patterns = _patterns(keep_link_tokens)
        self._secrets = sorted(
            {secret for secret in secrets or [] if len(secret) >= 6}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        """The text with every secret-looking value replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in self._patterns:
            text = pattern.sub(replacement, text)
        return text

    def _value(self, key: str, value: Any) -> Any:
        if _SENSITIVE_KEY.fullmatch(key):
            return REDACTED
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._value(str(k), v) for k, v in value.items()}
        return value

    def _redact_arguments(self, record: logging.LogRecord) -> bool:
        """Redact a `%`-style record argument by argument, keeping its shape; False if that is not enough.

        Formatters such as uvicorn's access formatter unpack `record.args`: it stays a tuple when
        each argument can be redacted alone.
        """
        if not isinstance(record.args, tuple) or not record.args:
            return False
        args = tuple(self.redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        try:
            message = str(record.msg) % args
        except (TypeError, ValueError):
            return False
        if self.redact(message) != message:
            return False  # a secret spans the template and an argument (`password=%s`)
        record.args = args
        return True

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, the extra fields and the traceback in place."""
        if not self._redact_arguments(record):
            try:
                message = record.getMessage()
            except Exception:
                message = f"{record.msg!s} {record.args!r}"
            record.msg, record.args = self.redact(message), None
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, self._value(key, value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or `-` outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record."""
        record.request_id = request_id_var.get() or "-"
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, pid, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "pid": record.process,
            **_extras(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time LEVEL [request id] logger: message key=value ...` for a developer's terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line, with the extra fields appended."""
        extras = " ".join(f"{key}={value}" for key, value in _extras(record).items())
        line = super().formatMessage(record)
        return f"{line} {extras}" if extras else line


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler this module installs on the root logger (replaced on reconfiguration)."""


def _secrets(settings: Settings) -> list[str]:
    return [
        value
        for value in (
            settings.secret_key,
            settings.mail_password,
            settings.sendgrid_api_key,
            settings.db_pass,
            # As it appears inside a database URL (SQLAlchemy quotes all but spaces and `+`).
            urllib.parse.quote(settings.db_pass, safe=" +"),
        )
        if value
    ]


def build_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """A handler in the format of the environment, with the request id and redaction filters."""
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(TextFormatter() if settings.is_dev else JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter(secrets=_secrets(settings), keep_link_tokens=settings.is_dev))
    return handler


def configure_logging(settings: Settings) -> logging.Handler:
    """Send every log line to stderr in the format of the environment, request id and redaction included."""
    handler = build_handler(settings)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    chatty_level = root.level if root.level <= logging.DEBUG else max(root.level, logging.WARNING)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level)
    _adopt_uvicorn_loggers()
    redactor = RedactingFilter(secrets=_secrets(settings), keep_link_tokens=settings.is_dev)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        for old_filter in [f for f in server_logger.filters if isinstance(f, RedactingFilter)]:
            server_logger.removeFilter(old_filter)
        server_logger.addFilter(redactor)
    return handler


def _adopt_uvicorn_loggers() -> None:
    # uvicorn prints its lines with handlers of its own, in its own format (plain text on stdout
    # even where the app writes JSON): they go to the root handler instead, redacted like the rest.
    for name in UVICORN_LOGGERS:
        server_logger = logging.getLogger(name)
        for handler in list(server_logger.handlers):
            server_logger.removeHandler(handler)
        server_logger.propagate = True
    # `teamsapp.access` writes the access line of every request (route, status, duration, request
    # id); uvicorn's own would say it twice.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
