"""MINILOK_LOG_FORMAT: json or console (LOG_FORMAT and "text" still read); console lines are short
and aligned; Celery's per-task and beat's per-send lines are quiet at INFO."""

from __future__ import annotations

import json
import logging
import re

import pytest
from minilok_shared import logs
from minilok_shared.config import CommonSettings


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "json"),
    ({"MINILOK_LOG_FORMAT": "console"}, "console"),
    ({"LOG_FORMAT": "text"}, "console"),
    ({"LOG_FORMAT": "JSON"}, "json"),
    ({"MINILOK_LOG_FORMAT": "console", "LOG_FORMAT": "json"}, "console"),
])
def test_the_setting_and_its_older_names(monkeypatch, env, expected):
    for name in ("MINILOK_LOG_FORMAT", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert CommonSettings().log_format == expected


def test_an_unknown_format_is_refused(monkeypatch):
    monkeypatch.setenv("MINILOK_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="console"):
        CommonSettings()


@pytest.fixture
def captured(capsys):
    """What the configured handler writes (it writes to sys.stdout as it is when configured)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield lambda: capsys.readouterr().out
    root.handlers[:], _ = saved
    root.setLevel(saved[1])
    for name in logs._CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET)
        logging.getLogger(name).filters.clear()


def test_console_lines_are_short_and_aligned(captured):
    logs.configure_logging("notifications", "INFO", "console")
    with logs.event_context("7f3c"):
        logging.getLogger("x").info("delivered %d webhooks", 3, extra={"delivery_id": 12})
    logging.getLogger("uvicorn.error").warning("Shutting down", extra={"color_message": "\x1b[1mShutting\x1b[0m"})
    first, second = captured().splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO    notifications delivered 3 webhooks  delivery_id=12 "
                        r"event_id=7f3c", first)
    assert re.fullmatch(r"\d\d:\d\d:\d\d WARNING notifications Shutting down", second)


def test_json_stays_one_object_a_line(captured):
    logs.configure_logging("meetings", "INFO", "json")
    logging.getLogger("x").info("hello")
    line = json.loads(captured())
    assert line["message"] == "hello" and line["service"] == "meetings" and line["level"] == "INFO"


def test_empty_sweeps_are_quiet_at_info_and_heard_at_debug(captured):
    logs.configure_logging("beat", "INFO", "console")
    logging.getLogger("celery.worker.strategy").info("Task minilok.sweep[1] received")
    logging.getLogger("celery.app.trace").info("Task minilok.sweep[1] succeeded in 0.003s: None")
    logging.getLogger("celery.beat").info("Scheduler: Sending due task notifications.sweep (minilok.sweep)")
    logging.getLogger("celery.beat").info("beat: Starting...")
    logging.getLogger("celery.app.trace").error("Task minilok.sweep[2] raised unexpected: boom")
    lines = captured().splitlines()
    assert [line[9:] for line in lines] == ["INFO    beat          beat: Starting...",
                                           "ERROR   beat          Task minilok.sweep[2] raised unexpected: boom"]
