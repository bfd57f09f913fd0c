"""Structured logs: one JSON object a line, carrying the service and the event being handled."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
from collections.abc import Iterator

from pythonjsonlogger.json import JsonFormatter

# An action link's token is its credential (meetings `/a/{token}`, `/api/v1/actions/{token}`): no log
# line keeps it, whatever writes the path (an access log, an error naming the URL).
_ACTION_LINK = re.compile(r"(/a/|/api/v1/actions/)[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def redact_links(text: str) -> str:
    return _ACTION_LINK.sub(r"\1…", text)


_event_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("event_id", default=None)


@contextlib.contextmanager
def event_context(event_id: str | None) -> Iterator[None]:
    token = _event_id.set(event_id)
    try:
        yield
    finally:
        _event_id.reset(token)


class _ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = getattr(record, "service", self.service)
        message = record.getMessage()
        if "/a/" in message or "/actions/" in message:
            record.msg, record.args = redact_links(message), None
        event_id = _event_id.get()
        if event_id and not hasattr(record, "event_id"):
            record.event_id = event_id
        return True


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(service)s %(name)s: %(message)s"))
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("pika", "httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
