"""Delivery flows: record an event for its subscribers, attempt one delivery, sweep what is due.

Each (event id, subscription) gets one row (unique); a worker claims the row with a short lease
before sending, so two workers never send the same delivery at once, and a delivered row is
never sent again.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from minilok_shared.db import insert_on_conflict, utcnow
from minilok_shared.events.envelope import dumps, new_event
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from minilok_notifications import models
from minilok_notifications.channels import Message, SendResult, get_channel, webhook_secrets
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.matching import db_id, event_facts, hears
from minilok_notifications.domain.retries import classify, retry_delay
from minilok_notifications.domain.schedule import release_time
from minilok_notifications.events import emit_delivery_failed
from minilok_notifications.target_guard import guard_for, target_key

log = logging.getLogger(__name__)

Delivery, Subscription = models.Delivery, models.Subscription


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def candidate_subscriptions(session: Session, event: dict[str, Any]) -> list[models.Subscription]:
    """Active subscriptions that could hear this event, in one query; `hears` decides the rest."""
    facts = event_facts(event)
    reach = []
    agency_ids = [i for i in map(db_id, facts.involved_agency_ids) if i is not None]
    if agency_ids:
        reach.append(and_(Subscription.scope == "agency", Subscription.agency_id.in_(agency_ids)))
    puskesmas_id = db_id(facts.puskesmas_id)
    if puskesmas_id is not None:
        reach.append(and_(Subscription.scope == "puskesmas", Subscription.filter_puskesmas_id == puskesmas_id))
    if not reach:
        return []
    subs = session.scalars(select(Subscription).where(Subscription.active.is_(True), or_(*reach))).all()
    return [s for s in subs if hears(s, facts)]


def _insert_ignoring_duplicates(session: Session):
    """A Core INSERT executed with a list of rows: its compiled form is cached, where `.values(rows)`
    built and compiled a new statement per event (a fifth of the consumer's time per event)."""
    table = Delivery.__table__
    return (insert_on_conflict(session, table)
            .on_conflict_do_nothing(index_elements=["event_id", "subscription_id"])
            .returning(table.c.id, table.c.status))


def record_event(session: Session, event: dict[str, Any], now: datetime | None = None) -> list[int]:
    """Add a delivery per subscription that hears `event`; returns the ids of new, sendable ones."""
    now = now or utcnow()
    subs = candidate_subscriptions(session, event)
    if not subs:
        return []
    body = dumps(event).decode()
    rows = []
    for sub in subs:
        held_until = release_time(now, tz=sub.timezone, digest=sub.digest, quiet_hours=sub.quiet_hours)
        rows.append({
            "subscription_id": sub.id, "event_id": event["id"], "event_type": event["type"],
            "channel": sub.channel, "payload": body, "message_id": new_message_id(),
            "status": "held" if held_until else "pending", "attempts": [], "attempt_count": 0,
            "next_attempt_at": held_until or now, "created_at": now, "updated_at": now,
        })
    return [r.id for r in session.execute(_insert_ignoring_duplicates(session), rows).all() if r.status == "pending"]


def create_test_delivery(session: Session, sub: models.Subscription, event: dict[str, Any]) -> models.Delivery:
    now = utcnow()
    delivery = Delivery(subscription_id=sub.id, event_id=event["id"], event_type=event["type"], channel=sub.channel,
                        payload=dumps(event).decode(), message_id=new_message_id(), status="pending", attempts=[],
                        attempt_count=0, next_attempt_at=now, created_at=now, updated_at=now)
    session.add(delivery)
    session.flush()
    return delivery


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
        target=sub.target, language=sub.language, timezone=sub.timezone, body=delivery.payload,
        signing_secrets=signing_secrets(sub, settings, now) if delivery.channel == "webhook" else [],
    )


def _take(session: Session, delivery_id: int, now: datetime, lease_seconds: float) -> bool:
    row = Delivery.__table__.c  # a Core UPDATE: the ORM's bulk-update machinery adds nothing here
    taken = session.execute(
        update(Delivery.__table__)
        .where(row.id == delivery_id, row.status == "pending",
               or_(row.lease_until.is_(None), row.lease_until < now),
               or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now + timedelta(seconds=1)))
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    ).rowcount
    return taken == 1


def claim(session_factory: sessionmaker[Session], delivery_id: int, now: datetime, lease_seconds: float) -> bool:
    """Take the delivery for one attempt: only a pending, due, unleased row can be taken, and
    only by one worker (the conditional UPDATE is atomic on SQLite and PostgreSQL alike)."""
    with session_factory.begin() as session:
        return _take(session, delivery_id, now, lease_seconds)


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


# An endpoint failing this long is switched off (issue: "failing for 5 days is disabled").
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


def _send_guarded(message: Message, settings: NotificationsSettings) -> SendResult:
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
    # The claim and the read of what to send share one transaction (one connection checkout and
    # commit fewer per delivery than a transaction each; the pipeline benchmark's worker profile).
    with session_factory.begin() as session:
        if not _take(session, delivery_id, now, lease):
            return "skipped", None
        delivery = session.get(Delivery, delivery_id)
        message, refusal = None, None
        if not delivery.subscription.active:
            refusal = SendResult(error="langganan nonaktif / subscription inactive", permanent=True)
        else:
            try:
                message = build_message(delivery, settings, now)
            except webhook_secrets.UndecryptableSecret as exc:  # no retry can help: fail it, and say why
                refusal = SendResult(error=str(exc), permanent=True)
    result = refusal or _send_guarded(message, settings)
    with session_factory.begin() as session:
        delivery = session.get(Delivery, delivery_id)
        now = utcnow()
        delay = apply_result(delivery, result, now, settings.retry_scale)
        disabled = False if result.deferred else note_target_health(delivery.subscription, delivery.status, now)
        if delivery.status == "failed" or disabled:
            emit_delivery_failed(session, delivery, subscription_disabled=disabled)
        settle_digest_members(session, delivery)
        status = delivery.status
    log.info("delivery %s %s (attempt %d)", delivery_id, status, delivery.attempt_count,
             extra={"delivery_id": delivery_id, "response_status": result.response_status})
    return status, delay


DIGEST_TYPE = "notification.digest"
DIGEST_MAX_EVENTS = 200  # more than this goes out as several digests


def gather_digests(session: Session, now: datetime) -> int:
    """At its digest time, gather a daily-digest subscription's held deliveries into one
    `notification.digest` delivery carrying all their events; they stay held, pointing at it,
    and take its final status. Returns how many digests were made."""
    held = session.scalars(
        select(Delivery).join(Delivery.subscription)
        .where(Delivery.status == "held", Delivery.next_attempt_at <= now, Delivery.digest_id.is_(None),
               Subscription.digest == "daily")
        .order_by(Delivery.subscription_id, Delivery.id)
    ).all()
    by_subscription: dict[int, list[models.Delivery]] = {}
    for delivery in held:
        by_subscription.setdefault(delivery.subscription_id, []).append(delivery)
    made = 0
    for subscription_id, members in by_subscription.items():
        sub = members[0].subscription
        for start in range(0, len(members), DIGEST_MAX_EVENTS):
            chunk = members[start:start + DIGEST_MAX_EVENTS]
            event = new_event(DIGEST_TYPE, "/notifications", subscription_id, {
                "subscription_id": subscription_id, "agency_id": sub.agency_id, "count": len(chunk),
                "events": [json.loads(d.payload) for d in chunk]})
            digest = Delivery(subscription_id=subscription_id, event_id=event["id"], event_type=DIGEST_TYPE,
                              channel=sub.channel, payload=dumps(event).decode(), message_id=new_message_id(),
                              status="pending", attempts=[], attempt_count=0, next_attempt_at=now,
                              created_at=now, updated_at=now)
            session.add(digest)
            session.flush()
            for member in chunk:
                member.digest_id, member.next_attempt_at = digest.id, None
            made += 1
    return made


def settle_digest_members(session: Session, digest: models.Delivery) -> None:
    """A digest's members are delivered (or failed) when the digest is."""
    if digest.event_type == DIGEST_TYPE and digest.status in ("delivered", "failed"):
        session.execute(update(Delivery).where(Delivery.digest_id == digest.id)
                        .values(status=digest.status, delivered_at=digest.delivered_at, updated_at=utcnow())
                        .execution_options(synchronize_session=False))


def due_deliveries(session_factory: sessionmaker[Session], limit: int = 1000, now: datetime | None = None) -> list[int]:
    """Gather due daily digests, release held deliveries whose time has come, and list pending
    ones that are due and not leased (this also recovers an enqueue lost in a crash)."""
    now = now or utcnow()
    with session_factory.begin() as session:
        gather_digests(session, now)
        session.execute(
            update(Delivery).where(Delivery.status == "held", Delivery.next_attempt_at <= now)
            .values(status="pending").execution_options(synchronize_session=False)
        )
        return list(session.scalars(
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now,
                   or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
            .order_by(Delivery.next_attempt_at).limit(limit)
        ))


def retry_by_hand(delivery: models.Delivery) -> None:
    """Due now: a failed delivery gets a fresh budget of attempts (the log of earlier attempts
    stays); a held or waiting one goes without waiting further."""
    if delivery.status == "failed":
        delivery.attempt_count = 0
        delivery.lease_until = None
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()

