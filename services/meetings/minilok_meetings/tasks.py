"""Celery tasks of the meetings service (`minilok worker meetings`), scheduled by `minilok beat`."""

from __future__ import annotations

from functools import lru_cache

from minilok_shared.celery_app import make_celery
from minilok_shared.db import make_engine, make_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from minilok_meetings.config import get_settings
from minilok_meetings.service_layer import reminders

celery_app = make_celery("meetings", get_settings())

SCAN_TASK = "minilok.meetings.scan_reminders"


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    # Created lazily, after the worker forks: one per process, connections never shared between processes.
    return make_sessionmaker(make_engine(get_settings().database_url))


@celery_app.task(name=SCAN_TASK, ignore_result=True)
def scan_reminders() -> dict[str, int]:
    """Emit due-soon, overdue and escalation events for every follow-up whose time has come."""
    return reminders.scan(_session_factory())
