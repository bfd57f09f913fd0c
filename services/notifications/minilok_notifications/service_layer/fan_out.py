"""Fan-out: an incoming event becomes one delivery per subscription that hears it.

Each (event id, subscription) gets one row (unique), so an event delivered twice by the broker
makes its deliveries once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from minilok_shared.db import insert_on_conflict, utcnow
from minilok_shared.events.envelope import dumps
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from minilok_notifications import models
from minilok_notifications.domain.matching import db_id, event_facts, hears
from minilok_notifications.domain.schedule import is_urgent, release_time

Delivery, Subscription = models.Delivery, models.Subscription


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def new_delivery(session: Session, sub: models.Subscription, event: dict[str, Any], now: datetime) -> models.Delivery:
    """A pending delivery of `event` to `sub`, due now (a test send, a digest), flushed for its id."""
    delivery = Delivery(subscription_id=sub.id, event_id=event["id"], event_type=event["type"], channel=sub.channel,
                        payload=dumps(event).decode(), message_id=new_message_id(), status="pending", attempts=[],
                        attempt_count=0, next_attempt_at=now, created_at=now, updated_at=now)
    session.add(delivery)
    session.flush()
    return delivery


def candidate_subscriptions(session: Session, event: dict[str, Any]) -> list[models.Subscription]:
    """Active subscriptions that could hear this event, in one query per distinct reach (agencies,
    puskesmas) within the session's transaction: a consumer's batch of a hundred events about the
    same few agencies asks once for each; `hears` decides the rest per event."""
    facts = event_facts(event)
    agency_ids = tuple(sorted({i for i in map(db_id, facts.involved_agency_ids) if i is not None}))
    puskesmas_id = db_id(facts.puskesmas_id)
    if not agency_ids and puskesmas_id is None:
        return []
    known = session.info.setdefault("fan_out_reach", {})
    if (agency_ids, puskesmas_id) not in known:
        reach = []
        if agency_ids:
            reach.append(and_(Subscription.scope == "agency", Subscription.agency_id.in_(agency_ids)))
        if puskesmas_id is not None:
            reach.append(and_(Subscription.scope == "puskesmas", Subscription.filter_puskesmas_id == puskesmas_id))
        known[(agency_ids, puskesmas_id)] = session.scalars(
            select(Subscription).where(Subscription.active.is_(True), or_(*reach))).all()
    return [s for s in known[(agency_ids, puskesmas_id)] if hears(s, facts)]


def _insert_ignoring_duplicates(session: Session):
    """A Core INSERT executed with a list of rows: its compiled form is cached (see docs/benchmarks.md)."""
    table = Delivery.__table__
    return (insert_on_conflict(session, table)
            .on_conflict_do_nothing(index_elements=["event_id", "subscription_id"])
            .returning(table.c.id, table.c.status))


def delivery_rows(session: Session, event: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """The delivery rows of `event`, one per subscription that hears it (not written yet)."""
    now = now or utcnow()
    subs = candidate_subscriptions(session, event)
    if not subs:
        return []
    body = dumps(event).decode()
    urgent = is_urgent(event)
    rows = []
    for sub in subs:
        held_until = release_time(now, tz=sub.timezone, digest=sub.digest, quiet_hours=sub.quiet_hours,
                                  urgent=urgent)
        rows.append({
            "subscription_id": sub.id, "event_id": event["id"], "event_type": event["type"],
            "channel": sub.channel, "payload": body, "message_id": new_message_id(),
            "status": "held" if held_until else "pending", "attempts": [], "attempt_count": 0,
            "next_attempt_at": held_until or now, "created_at": now, "updated_at": now,
        })
    return rows


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Write delivery rows (of one event or a whole batch) in one statement, skipping an (event,
    subscription) that already has one; returns the ids of new, sendable ones."""
    if not rows:
        return []
    return [r.id for r in session.execute(_insert_ignoring_duplicates(session), rows).all() if r.status == "pending"]


def record_event(session: Session, event: dict[str, Any], now: datetime | None = None) -> list[int]:
    """Add a delivery per subscription that hears `event`; returns the ids of new, sendable ones."""
    return insert_deliveries(session, delivery_rows(session, event, now))
