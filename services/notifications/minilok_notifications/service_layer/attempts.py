"""Attempts: claim a due delivery with a short lease, send it through its channel, record the outcome.

A worker claims the row before sending, so two workers never send the same delivery at once, and a
delivered row is never sent again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from minilok_shared.db import utcnow
from sqlalchemy import or_, update
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


def lease_if_due(session: Session, delivery_id: int, now: datetime, lease_seconds: float) -> bool:
    """Lease the delivery to this worker: only a pending, due, unleased row can be leased, and only
    by one worker (the conditional UPDATE is atomic on SQLite and PostgreSQL alike)."""
    row = Delivery.__table__.c  # a Core UPDATE: the ORM's bulk-update machinery adds nothing here
    leased = session.execute(
        update(Delivery.__table__)
        .where(row.id == delivery_id, row.status == "pending",
               or_(row.lease_until.is_(None), row.lease_until < now),
               or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now + timedelta(seconds=1)))
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    ).rowcount
    return leased == 1


def claim(session_factory: sessionmaker[Session], delivery_id: int, now: datetime, lease_seconds: float) -> bool:
    """Take the delivery for one attempt, in a transaction of its own (`lease_if_due`)."""
    with session_factory.begin() as session:
        return lease_if_due(session, delivery_id, now, lease_seconds)


def claim_and_load(session: Session, delivery_id: int, now: datetime, lease_seconds: float) -> models.Delivery | None:
    """The delivery, leased to this worker, or None when another worker has it or it is not due."""
    if not lease_if_due(session, delivery_id, now, lease_seconds):
        return None
    return session.get(Delivery, delivery_id)


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


def send_guarded(message: Message, settings: NotificationsSettings) -> SendResult:
    """Send through the message's channel unless its target's guard refuses (too busy, circuit open)."""
    guard, key = guard_for(settings), target_key(message, settings)
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


def lease_seconds(settings: NotificationsSettings) -> float:
    """How long a claimed delivery stays a worker's: well past the one overall deadline of a send
    (channels/http.py), so no lease expires while its send is in flight and none is sent twice."""
    return settings.webhook_timeout_seconds * 2 + 60


def attempt(session_factory: sessionmaker[Session], settings: NotificationsSettings, delivery_id: int) -> \
        tuple[str, float | None]:
    """One attempt at one delivery: ("skipped", None) when another worker has it or it is not due,
    else (status after the attempt, retry delay or None)."""
    now = utcnow()
    lease = lease_seconds(settings)
    with session_factory.begin() as session:  # the claim and the read of what to send: one transaction
        delivery = claim_and_load(session, delivery_id, now, lease)
        if delivery is None:
            return "skipped", None
        message, refusal = None, None
        if not delivery.subscription.active:
            refusal = SendResult(error="langganan nonaktif / subscription inactive", permanent=True)
        else:
            try:
                message = build_message(delivery, settings, now)
            except webhook_secrets.UndecryptableSecret as exc:  # no retry can help: fail it, and say why
                refusal = SendResult(error=str(exc), permanent=True)
    result = refusal or send_guarded(message, settings)
    with session_factory.begin() as session:
        delivery = session.get(Delivery, delivery_id)
        now = utcnow()
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
        settle_digest_members(session, delivery)
        status = delivery.status
    log.info("delivery %s %s (attempt %d)", delivery_id, status, delivery.attempt_count,
             extra={"delivery_id": delivery_id, "response_status": result.response_status})
    return status, delay
