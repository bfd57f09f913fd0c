"""Attempts in batches: claim due deliveries with a lease, send them concurrently, record the outcomes.

A worker claims the rows before sending, so two workers never send the same delivery at once, and a
delivered row is never sent again."""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import lru_cache

from minilok_shared.db import utcnow
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from minilok_notifications import models
from minilok_notifications.channels import Message, SendResult, get_channel, webhook_secrets
from minilok_notifications.channels.target_guard import guard_for, target_key
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.retries import classify, retry_delay
from minilok_notifications.events import emit_delivery_failed
from minilok_notifications.service_layer.digests import settle_digest_members

log = logging.getLogger(__name__)

Delivery = models.Delivery


def signing_secrets(sub: models.Subscription, settings: NotificationsSettings, now: datetime) -> list[str]:
    """The current secret (UndecryptableSecret when it cannot be read), and during the overlap after
    a rotation the previous one, skipped when unreadable (the current one still signs)."""
    keys = (settings.minilok_secret, settings.minilok_secret_previous)
    secrets = [webhook_secrets.decrypt(keys[0], sub.secret_encrypted, keys[1])] if sub.secret_encrypted else []
    if sub.previous_secret_encrypted and sub.previous_secret_expires_at and sub.previous_secret_expires_at > now:
        try:
            secrets.append(webhook_secrets.decrypt(keys[0], sub.previous_secret_encrypted, keys[1]))
        except webhook_secrets.UndecryptableSecret:
            log.warning("subscription %s: the secret before its rotation cannot be decrypted", sub.id)
    return secrets


def build_message(delivery: models.Delivery, settings: NotificationsSettings, now: datetime) -> Message:
    sub = delivery.subscription
    return Message(
        delivery_id=delivery.id, message_id=delivery.message_id, subscription_id=sub.id, channel=delivery.channel,
        target=delivery.target_override or sub.target, language=sub.language, timezone=sub.timezone,
        body=delivery.payload,
        signing_secrets=signing_secrets(sub, settings, now) if delivery.channel == "webhook" else [],
        agency_id=sub.agency_id,
    )


def claim_due(session: Session, now: datetime, lease: float, *, limit: int, ids: list[int] | None = None) -> \
        list[int]:
    """Lease up to `limit` due deliveries (of `ids`, or the longest due) to this worker in one
    statement, and return their ids: only a pending, due, unleased row is taken, and by one worker.

    The same statement serves both databases: PostgreSQL locks the chosen rows `FOR UPDATE SKIP
    LOCKED`, so workers claiming at once take disjoint rows without waiting on each other; SQLite
    renders no `FOR UPDATE` and needs none (BEGIN IMMEDIATE lets one writer in at a time)."""
    row = Delivery.__table__.c  # Core statements: the ORM's bulk machinery adds nothing here
    due = (row.status == "pending", or_(row.lease_until.is_(None), row.lease_until < now),
           or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now + timedelta(seconds=1)))
    chosen = select(row.id).where(*due)
    if ids is not None:
        chosen = chosen.where(row.id.in_(ids))
    # A CTE, not `IN (subquery)`: PostgreSQL may rescan a plain subquery once per row it updates,
    # and each rescan would take `limit` more rows.
    chosen = chosen.order_by(row.next_attempt_at).limit(limit).with_for_update(skip_locked=True).cte("chosen")
    return list(session.scalars(
        update(Delivery.__table__).where(row.id.in_(select(chosen.c.id)), *due)
        .values(lease_until=now + timedelta(seconds=lease)).returning(row.id)))


def claim(session_factory: sessionmaker[Session], delivery_id: int, now: datetime, lease_seconds: float) -> bool:
    """Take one delivery for one attempt, in a transaction of its own (`claim_due`)."""
    with session_factory.begin() as session:
        return claim_due(session, now, lease_seconds, limit=1, ids=[delivery_id]) == [delivery_id]


def apply_result(delivery: models.Delivery, result: SendResult, now: datetime, scale: float) -> float | None:
    """Record an attempt and move the delivery on; returns the retry delay when one is scheduled."""
    if result.deferred:
        delivery.lease_until = None
        delivery.next_attempt_at = now + timedelta(seconds=result.retry_after or 1.0)
        return result.retry_after or 1.0
    delivery.attempts = [*delivery.attempts, {"at": now.isoformat(), "response_status": result.response_status,
                                              "error": result.error}]
    delivery.attempt_count += 1
    delivery.last_response_status = result.response_status
    delivery.last_error = result.error
    delivery.lease_until = None
    if result.provider_message_id:
        delivery.provider_message_id = result.provider_message_id
    outcome = "failed" if result.permanent else result.outcome or classify(result.response_status)
    if outcome == "delivered":
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        return None
    delay = retry_delay(delivery.attempt_count, scale=scale, retry_after=result.retry_after) \
        if outcome == "retry" else None
    if delay is None:
        delivery.status, delivery.next_attempt_at = "failed", None
        return None
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    return delay


def switch_to_fallback(delivery: models.Delivery, now: datetime) -> bool:
    """A delivery that failed for good on its subscription's channel goes once more on the fallback:
    the same row (an event still succeeds at most once per subscription), a fresh budget, and an
    attempt entry saying where it went. False when there is none, or it was already used."""
    sub = delivery.subscription
    if delivery.status != "failed" or delivery.fallback_used or not sub.fallback_channel or not sub.active:
        return False
    delivery.attempts = [*delivery.attempts, {
        "at": now.isoformat(), "response_status": None, "fallback": sub.fallback_channel,
        "error": f"gagal lewat {delivery.channel}, dikirim lewat {sub.fallback_channel} / "
                 f"failed on {delivery.channel}, sent by {sub.fallback_channel}"}]
    delivery.channel, delivery.target_override, delivery.fallback_used = sub.fallback_channel, sub.fallback_target, True
    delivery.status, delivery.attempt_count, delivery.next_attempt_at = "pending", 0, now
    return True


def gone(delivery: models.Delivery, result: SendResult) -> bool:
    """410 Gone from a webhook: the receiver wants nothing more (Standard Webhooks)."""
    return delivery.channel == "webhook" and result.response_status == 410


def switch_off_gone(sub: models.Subscription, now: datetime) -> bool:
    """Switch the subscription off at once; True when it was on."""
    if not sub.active:
        return False
    sub.active = False
    sub.disabled_reason = (f"webhook menjawab 410 Gone pada {now.isoformat()}: penerima tidak mau menerima lagi / "
                           f"the webhook answered 410 Gone at {now.isoformat()}: the receiver wants no more")
    log.warning("subscription %s disabled: its webhook answered 410 Gone", sub.id)
    return True


# An endpoint failing this long is switched off.
DISABLE_AFTER = timedelta(days=5)


def note_target_health(sub: models.Subscription, status: str, now: datetime) -> bool:
    """Track how long the subscriber's endpoint has been failing; True when this switched the
    subscription off."""
    if status == "delivered":
        sub.failing_since = None
        return False
    sub.failing_since = sub.failing_since or now
    if sub.active and now - sub.failing_since >= DISABLE_AFTER:
        sub.active = False
        sub.disabled_reason = (f"gagal terus sejak {sub.failing_since.isoformat()} / "
                               f"failing since {sub.failing_since.isoformat()}")
        log.warning("subscription %s disabled: its endpoint has failed for 5 days", sub.id)
        return True
    return False


# Per process and target, as many sends at once as the target allows across all workers: the
# threads of a batch queue here for their turn instead of asking Redis for a slot in a loop.
_target_turns: dict[tuple[str, int], threading.BoundedSemaphore] = {}


def send_guarded(message: Message, settings: NotificationsSettings, wait_seconds: float = 0.0) -> SendResult:
    """Send through the message's channel unless its target's guard refuses (circuit open, or still
    too busy after `wait_seconds` of waiting for a free slot)."""
    guard, key = guard_for(settings), target_key(message, settings)
    give_up_at = time.monotonic() + wait_seconds
    turn = _target_turns.setdefault((key, settings.target_concurrency),
                                    threading.BoundedSemaphore(settings.target_concurrency))
    if not turn.acquire(timeout=wait_seconds):
        return SendResult(deferred=True, retry_after=random.uniform(0.5, 1.5), error="target sibuk / target busy")
    try:
        refused = guard.before_send(key, message.message_id)
        while refused is not None and refused.deferred and time.monotonic() < give_up_at:
            time.sleep(min(0.05, give_up_at - time.monotonic()))  # another worker holds the slots
            refused = guard.before_send(key, message.message_id)
        if refused is not None:
            return refused
        try:
            result = get_channel(message.channel, settings).send(message)
        except Exception as exc:  # an adapter bug must not leave the row leased forever
            log.exception("channel %s failed", message.channel)
            result = SendResult(error=f"{type(exc).__name__}: {exc}")
        guard.after_send(key, message.message_id, result)
        return result
    finally:
        turn.release()


@lru_cache
def _send_pool(size: int) -> ThreadPoolExecutor:
    """The worker process's senders, made on first use (after Celery's fork). The channels' one
    httpx client per process is shared by them, so connections to a target are kept alive."""
    return ThreadPoolExecutor(max_workers=size, thread_name_prefix="deliver")


def send_all(messages: list[Message], settings: NotificationsSettings) -> list[SendResult]:
    """Send every message, concurrently, each under its target's guard; results in the same order."""
    def send(message: Message) -> SendResult:
        return send_guarded(message, settings, settings.target_wait_seconds)

    if len(messages) <= 1:
        return [send(message) for message in messages]
    return list(_send_pool(settings.delivery_concurrency).map(send, messages))


def lease_seconds(settings: NotificationsSettings) -> float:
    """How long a claimed delivery stays a worker's: well past a batch's longest send (a wait for
    its target's turn, then the one overall deadline of channels/http.py), so no lease expires
    while its send is in flight and none is sent twice."""
    return settings.target_wait_seconds + settings.webhook_timeout_seconds * 2 + 60


def prepare(delivery: models.Delivery, settings: NotificationsSettings, now: datetime) -> Message | SendResult:
    """What to send for a claimed delivery, or the result to record without sending."""
    if not delivery.subscription.active:
        return SendResult(error="langganan nonaktif / subscription inactive", permanent=True)
    try:
        return build_message(delivery, settings, now)
    except webhook_secrets.UndecryptableSecret as exc:  # no retry can help: fail it, and say why
        return SendResult(error=str(exc), permanent=True)


Outcome = tuple[str, float | None]  # (status after the attempt, retry delay or None)


def attempt_batch(session_factory: sessionmaker[Session], settings: NotificationsSettings,
                  delivery_ids: list[int] | None = None) -> dict[int, Outcome]:
    """One attempt at each of a batch of deliveries: those of `delivery_ids` still due, or (None)
    up to `delivery_batch_size` of the longest due. Claimed and loaded in one transaction, sent
    concurrently, recorded in another; a delivery not claimed (another worker has it, or it is not
    due) is left out of the answer. A crash between send and record loses nothing: the lease
    expires and the sweep sends it again under the same webhook-id."""
    now = utcnow()
    limit = len(delivery_ids) if delivery_ids is not None else settings.delivery_batch_size
    with session_factory.begin() as session:
        ids = claim_due(session, now, lease_seconds(settings), limit=limit, ids=delivery_ids)
        if not ids:
            return {}
        deliveries = session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)).unique().all()
        session.expunge_all()  # kept as plain objects: the record below writes them in one statement
    plans = [prepare(delivery, settings, now) for delivery in deliveries]
    sent = iter(send_all([plan for plan in plans if isinstance(plan, Message)], settings))
    results = [next(sent) if isinstance(plan, Message) else plan for plan in plans]
    with session_factory.begin() as session:
        return record(session, deliveries, results, settings)


def attempt(session_factory: sessionmaker[Session], settings: NotificationsSettings, delivery_id: int) -> Outcome:
    """One attempt at one delivery: ("skipped", None) when another worker has it or it is not due."""
    return attempt_batch(session_factory, settings, [delivery_id]).get(delivery_id, ("skipped", None))


# What an attempt changes on a delivery and on its subscription.
_DELIVERY_COLUMNS = ("status", "attempts", "attempt_count", "next_attempt_at", "lease_until", "last_response_status",
                     "last_error", "delivered_at", "provider_message_id", "channel", "target_override",
                     "fallback_used", "updated_at")
_SUBSCRIPTION_COLUMNS = ("active", "failing_since", "disabled_reason", "updated_at")


def _executemany_update(session: Session, table, columns: tuple[str, ...], objects: list) -> None:
    """One UPDATE by id, executed for every object with its own values of `columns`."""
    if not objects:
        return
    statement = update(table).where(table.c.id == bindparam("b_id")).values(
        {name: bindparam(f"b_{name}", type_=table.c[name].type) for name in columns})
    session.execute(statement, [{"b_id": obj.id, **{f"b_{name}": getattr(obj, name) for name in columns}}
                                for obj in objects])


def record(session: Session, deliveries: list[models.Delivery], results: list[SendResult],
           settings: NotificationsSettings) -> dict[int, Outcome]:
    """Record each delivery's attempt and its follow-ons (fallback switch, 410 switch-off, failing
    since, `notification.failed` through the outbox, digest members): the deliveries in one
    statement, the subscriptions that changed in another."""
    now = utcnow()
    subscriptions = {d.subscription.id: d.subscription for d in deliveries}
    health_before = {sub_id: (sub.active, sub.failing_since, sub.disabled_reason)
                     for sub_id, sub in subscriptions.items()}
    outcomes: dict[int, Outcome] = {}
    for delivery, result in zip(deliveries, results, strict=True):
        on_fallback = delivery.fallback_used
        delay = apply_result(delivery, result, now, settings.retry_scale)
        if gone(delivery, result):
            disabled = switch_off_gone(delivery.subscription, now)
        elif result.deferred or on_fallback:  # the fallback's target says nothing of the subscription's own
            disabled = False
        else:
            disabled = note_target_health(delivery.subscription, delivery.status, now)
        if switch_to_fallback(delivery, now):
            delay = 0.0
        elif delivery.status == "failed" or disabled:
            emit_delivery_failed(session, delivery, subscription_disabled=disabled)
        delivery.updated_at = now
        settle_digest_members(session, delivery)
        outcomes[delivery.id] = (delivery.status, delay)
        log.info("delivery %s %s (attempt %d)", delivery.id, delivery.status, delivery.attempt_count,
                 extra={"delivery_id": delivery.id, "response_status": result.response_status})
    _executemany_update(session, Delivery.__table__, _DELIVERY_COLUMNS, deliveries)
    changed = [sub for sub_id, sub in subscriptions.items()
               if (sub.active, sub.failing_since, sub.disabled_reason) != health_before[sub_id]]
    for sub in changed:
        sub.updated_at = now
    _executemany_update(session, models.Subscription.__table__, _SUBSCRIPTION_COLUMNS, changed)
    return outcomes
