"""Celery tasks of the notifications service: send one delivery, and sweep for due ones.

`minilok worker notifications` runs them; `minilok beat` schedules the sweep (service.py)."""

from __future__ import annotations

import logging
from functools import lru_cache

from minilok_shared.celery_app import make_celery
from minilok_shared.db import make_engine, make_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from minilok_notifications import deliveries
from minilok_notifications.config import get_settings

log = logging.getLogger(__name__)

celery_app = make_celery("notifications", get_settings(), include=["minilok_notifications.tasks"])

DELIVER = "minilok_notifications.deliver"
SWEEP = "minilok_notifications.sweep_due_deliveries"


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    # Created lazily, after the worker forks: connections are never shared between processes.
    return make_sessionmaker(make_engine(get_settings().database_url))


@celery_app.task(name=DELIVER)
def deliver(delivery_id: int) -> str:
    settings = get_settings()
    status, delay = deliveries.attempt(_session_factory(), settings, delivery_id)
    if delay is not None:
        schedule_retry(delivery_id, delay)
    return status


def schedule_retry(delivery_id: int, delay: float) -> None:
    """A short wait is kept by the broker (countdown); a longer one is left to the sweep, which
    queues the delivery when it is due (long countdowns would outlive the broker's visibility timeout)."""
    if delay <= get_settings().retry_countdown_max_seconds:
        deliver.apply_async((delivery_id,), countdown=delay)


@celery_app.task(name=SWEEP)
def sweep_due_deliveries() -> int:
    ids = deliveries.due_deliveries(_session_factory())
    enqueue(ids)
    return len(ids)


def enqueue(delivery_ids: list[int]) -> None:
    """Queue deliveries for the workers. Losing this (Redis down, crash) loses nothing: the row is
    committed and the sweep finds it."""
    for delivery_id in delivery_ids:
        deliver.apply_async((delivery_id,))


def enqueue_quietly(delivery_ids: list[int]) -> None:
    try:
        enqueue(delivery_ids)
    except Exception as exc:
        log.warning("could not queue deliveries %s (%s); the sweep will", delivery_ids, exc)
