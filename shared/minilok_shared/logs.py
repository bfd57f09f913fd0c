"""Logs: one JSON object a line (`MINILOK_LOG_FORMAT=json`, services' default) or one short
readable line (`console`, what `make run` shows), carrying the service and the event being handled."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import time
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


# What every LogRecord carries; anything else on a record was passed as `extra=` (or added by
# _ContextFilter) and is shown after the message in console lines.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "service", "taskName",
                                                              "color_message"}


class ConsoleFormatter(logging.Formatter):
    """`12:04:31 INFO    meetings      published 3 events  event_id=…`: time, level, service, message
    and the record's extras, aligned for a person reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{key}={value}" for key, value in record.__dict__.items()
                          if key not in _STANDARD and not key.startswith("_"))
        line = (f"{time.strftime('%H:%M:%S', time.localtime(record.created))} {record.levelname:<7} "
                f"{record.service:<13} {record.getMessage()}" + (f"  {extras}" if extras else ""))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


# Per-task lines of Celery ("Task … received", "… succeeded in 0.004s") and beat's "Scheduler:
# Sending due task" fire every few seconds for sweeps that usually find nothing: heard at DEBUG
# only. A failing task is still logged (at ERROR, by celery.app.trace).
_CHATTY = {"celery.worker.strategy": None, "celery.app.trace": None, "celery.beat": "Scheduler: Sending due task"}


class _BelowInfoOnly(logging.Filter):
    """Drops INFO records whose message starts with `prefix` (the logger's other lines pass)."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and str(record.msg).startswith(self.prefix))


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """`fmt`: "json" or "console" (CommonSettings.log_format has already read "text" as console)."""
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
        handler.setFormatter(ConsoleFormatter())
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("pika", "httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if root.level >= logging.INFO:
        for name, prefix in _CHATTY.items():
            if prefix is None:
                logging.getLogger(name).setLevel(logging.WARNING)
            else:
                logging.getLogger(name).addFilter(_BelowInfoOnly(prefix))
