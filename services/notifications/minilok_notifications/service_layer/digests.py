"""Daily digests: a subscription's held deliveries gathered into one `notification.digest` delivery."""

from __future__ import annotations

import json
from datetime import datetime

from minilok_shared.db import utcnow
from minilok_shared.events.envelope import new_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minilok_notifications import models
from minilok_notifications.service_layer.fan_out import new_delivery

Delivery, Subscription = models.Delivery, models.Subscription

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
            digest = new_delivery(session, sub, event, now)
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
