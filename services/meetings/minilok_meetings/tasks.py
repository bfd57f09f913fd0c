"""Celery tasks of the meetings service (`minilok worker meetings`), scheduled by `minilok beat`."""

from __future__ import annotations

from functools import lru_cache

from minilok_meetings import reminders
from minilok_meetings.config import get_settings
from minilok_shared.celery_app import make_celery
from minilok_shared.db import make_engine, make_sessionmaker

celery_app = make_celery("meetings", get_settings())

SCAN_TASK = "meetings.scan_reminders"


@lru_cache
def _sessions():
    return make_sessionmaker(make_engine(get_settings().database_url))


@celery_app.task(name=SCAN_TASK, ignore_result=True)
def scan_reminders() -> dict[str, int]:
    """Emit due-soon, overdue and escalation events for every follow-up whose time has come."""
    return reminders.scan(_sessions())
