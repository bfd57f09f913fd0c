"""Celery tasks of the notifications service: send deliveries in batches or a direct message, and sweep for due ones.

`minilok worker notifications` runs them; `minilok beat` schedules the sweep (spec.py)."""

from __future__ import annotations

import logging
import math
from functools import lru_cache

from minilok_shared.celery_app import make_celery
from minilok_shared.db import make_engine, make_sessionmaker, utcnow
from sqlalchemy.orm import Session, sessionmaker

from minilok_notifications.config import get_settings
from minilok_notifications.service_layer.attempts import attempt_batch
from minilok_notifications.service_layer.direct_messages import due_direct_messages, send_direct
from minilok_notifications.service_layer.sweep import due_deliveries

log = logging.getLogger(__name__)

celery_app = make_celery("notifications", get_settings(), include=["minilok_notifications.tasks"])

DELIVER_BATCH = "minilok.notifications.deliver_batch"
SWEEP = "minilok.notifications.sweep_due_deliveries"
SEND_DIRECT = "minilok.notifications.send_direct"


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    """The worker process's one session factory, made lazily after the fork: connections are never
    shared between processes."""
    return make_sessionmaker(make_engine(get_settings().database_url))


@celery_app.task(name=DELIVER_BATCH)
def deliver_batch(delivery_ids: list[int] | None = None) -> int:
    """One attempt at each of these deliveries still due, or (no ids) at a batch of the longest
    due; returns how many were attempted."""
    outcomes = attempt_batch(_session_factory(), get_settings(), delivery_ids)
    schedule_retries({delivery_id: delay for delivery_id, (_, delay) in outcomes.items() if delay is not None})
    return len(outcomes)


def schedule_retries(delays: dict[int, float]) -> None:
    """A short wait is kept by the broker (countdown), one batch per second of wait; a longer one is
    left to the sweep, which takes the delivery when it is due (long countdowns would outlive the
    broker's visibility timeout)."""
    by_second: dict[int, list[int]] = {}
    for delivery_id, delay in delays.items():
        if delay <= get_settings().retry_countdown_max_seconds:
            by_second.setdefault(math.ceil(delay), []).append(delivery_id)
    for seconds, ids in by_second.items():
        for batch in _batches(ids):
            deliver_batch.apply_async((batch,), countdown=seconds)


@celery_app.task(name=SWEEP)
def sweep_due_deliveries() -> int:
    """Queue one batch task per batch of due deliveries. Each takes whatever is due when it runs
    (not a list of ids), so under a backlog no task is a copy of one already queued, and a task
    that finds nothing due costs one statement."""
    due = len(due_deliveries(_session_factory()))
    for _ in range(math.ceil(due / get_settings().delivery_batch_size)):
        deliver_batch.apply_async(())
    # Direct messages whose queued attempt was lost; a copy queued twice is skipped by its lease.
    with _session_factory()() as session:
        direct = due_direct_messages(session, utcnow())
    for message_id in direct:
        send_direct_message.apply_async((message_id,))
    return due + len(direct)


@celery_app.task(name=SEND_DIRECT)
def send_direct_message(message_id: int) -> str:
    """One attempt at a direct message (a sign-in code); a retry waits in the broker (seconds)."""
    status, delay = send_direct(_session_factory(), get_settings(), message_id)
    if delay is not None:
        send_direct_message.apply_async((message_id,), countdown=delay)
    return status


def enqueue_direct_quietly(message_id: int) -> None:
    """Queue a direct message after its commit; losing this loses nothing (the sweep finds it)."""
    try:
        send_direct_message.apply_async((message_id,))
    except Exception as exc:
        log.warning("could not queue direct message %s (%s); the sweep will", message_id, exc)


def _batches(delivery_ids: list[int]) -> list[list[int]]:
    size = get_settings().delivery_batch_size
    return [delivery_ids[start:start + size] for start in range(0, len(delivery_ids), size)]


def enqueue(delivery_ids: list[int]) -> None:
    """Queue deliveries for the workers, a task per batch. Losing this (Redis down, crash) loses
    nothing: the rows are committed and the sweep finds them."""
    for batch in _batches(delivery_ids):
        deliver_batch.apply_async((batch,))


def enqueue_quietly(delivery_ids: list[int]) -> None:
    """`enqueue`, logging instead of raising: called after a commit, when nothing can be undone."""
    try:
        enqueue(delivery_ids)
    except Exception as exc:
        log.warning("could not queue deliveries %s (%s); the sweep will", delivery_ids, exc)
