"""Celery tasks of the notifications service: send one delivery or direct message, and sweep for due ones.

`minilok worker notifications` runs them; `minilok beat` schedules the sweep (spec.py)."""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache

import redis
from minilok_shared.celery_app import make_celery
from minilok_shared.db import make_engine, make_sessionmaker, utcnow
from sqlalchemy.orm import Session, sessionmaker

from minilok_notifications.config import get_settings
from minilok_notifications.service_layer.attempts import attempt
from minilok_notifications.service_layer.direct_messages import due_direct_messages, send_direct
from minilok_notifications.service_layer.sweep import due_deliveries

log = logging.getLogger(__name__)

celery_app = make_celery("notifications", get_settings(), include=["minilok_notifications.tasks"])

DELIVER = "minilok.notifications.deliver"
SWEEP = "minilok.notifications.sweep_due_deliveries"
SEND_DIRECT = "minilok.notifications.send_direct"


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    """The worker process's one session factory, made lazily after the fork: connections are never
    shared between processes."""
    return make_sessionmaker(make_engine(get_settings().database_url))


@celery_app.task(name=DELIVER)
def deliver(delivery_id: int) -> str:
    settings = get_settings()
    status, delay = attempt(_session_factory(), settings, delivery_id)
    if delay is not None:
        schedule_retry(delivery_id, delay)
    return status


def schedule_retry(delivery_id: int, delay: float) -> None:
    """A short wait is kept by the broker (countdown); a longer one is left to the sweep, which
    queues the delivery when it is due (long countdowns would outlive the broker's visibility timeout)."""
    if delay <= get_settings().retry_countdown_max_seconds:
        _mark_queued([delivery_id], seconds=delay + QUEUED_MARK_SECONDS)
        deliver.apply_async((delivery_id,), countdown=delay)


@celery_app.task(name=SWEEP)
def sweep_due_deliveries() -> int:
    ids = _not_yet_queued(due_deliveries(_session_factory()))
    _send(ids)
    # Direct messages whose queued attempt was lost; a copy queued twice is skipped by its lease.
    with _session_factory()() as session:
        direct = due_direct_messages(session, utcnow())
    for message_id in direct:
        send_direct_message.apply_async((message_id,))
    return len(ids) + len(direct)


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


def enqueue(delivery_ids: list[int]) -> None:
    """Queue deliveries for the workers. Losing this (Redis down, crash) loses nothing: the row is
    committed and the sweep finds it."""
    _mark_queued(delivery_ids)
    _send(delivery_ids)


def _send(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliver.apply_async((delivery_id,))


# A delivery waiting in the queue is not queued again by the sweep for this long, so under a
# backlog the workers do not spend their time skipping copies (docs/reliability.md).
QUEUED_MARK_SECONDS = 30


@lru_cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url, socket_connect_timeout=1, socket_timeout=1)


def _queued_prefix() -> str:
    # Delivery ids are per database: two databases sharing a Redis (test runs) must not collide.
    settings = get_settings()
    database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return f"{settings.redis_key_prefix}minilok:notifications:queued:{database}:"


def _queued_key(delivery_id: int) -> str:
    return f"{_queued_prefix()}{delivery_id}"


def _mark_queued(delivery_ids: list[int], seconds: float = QUEUED_MARK_SECONDS) -> None:
    try:
        pipe = _redis().pipeline(transaction=False)
        for delivery_id in delivery_ids:
            pipe.set(_queued_key(delivery_id), 1, ex=max(1, round(seconds)))
        pipe.execute()
    except redis.RedisError as exc:  # the sweep may queue a copy: the claim makes it harmless
        log.warning("could not mark deliveries as queued (%s)", exc)


def _not_yet_queued(delivery_ids: list[int]) -> list[int]:
    """Those of `delivery_ids` not queued in the last QUEUED_MARK_SECONDS, now marked. The marks
    live in the Redis that holds the queue: when Redis loses the queue, it loses them too."""
    if not delivery_ids:
        return []
    try:
        pipe = _redis().pipeline(transaction=False)
        for delivery_id in delivery_ids:
            pipe.set(_queued_key(delivery_id), 1, nx=True, ex=QUEUED_MARK_SECONDS)
        fresh = pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not check which deliveries are queued (%s); queueing all due", exc)
        return delivery_ids
    return [delivery_id for delivery_id, new in zip(delivery_ids, fresh, strict=True) if new]


def enqueue_quietly(delivery_ids: list[int]) -> None:
    """`enqueue`, logging instead of raising: called after a commit, when nothing can be undone."""
    try:
        enqueue(delivery_ids)
    except Exception as exc:
        log.warning("could not queue deliveries %s (%s); the sweep will", delivery_ids, exc)
