"""The delivery log as its owners see it: read one, list them, retry one by hand, recover a
subscription's failures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import conflict, not_found, unprocessable
from minilok_shared.idempotency import after_commit
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minilok_notifications import models
from minilok_notifications.access import check_manage, visible
from minilok_notifications.service_layer.subscriptions import get_subscription
from minilok_notifications.tasks import enqueue_quietly

Delivery = models.Delivery

# How far back a recover reaches, how many rows one of its statements moves, and how many of
# them it queues itself (the sweep queues the rest as workers free up, see docs/notifications.md).
RECOVER_WINDOW = timedelta(days=30)
RECOVER_BATCH = 1000
RECOVER_QUEUE_AT_ONCE = 1000


def fresh_start(sub: models.Subscription, now: datetime) -> dict[str, Any]:
    """A failed delivery sent again: due now, a full budget, back on the subscription's own channel
    (its fallback may be used once more). The log of earlier attempts stays."""
    return {"status": "pending", "attempt_count": 0, "lease_until": None, "next_attempt_at": now,
            "channel": sub.channel, "target_override": None, "fallback_used": False, "updated_at": now}


def get_delivery(session: Session, principal: Principal, delivery_id: int) -> models.Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise not_found("Pengiriman / delivery", delivery_id)
    check_manage(principal, delivery.subscription)
    return delivery


def list_deliveries(session: Session, principal: Principal, *, subscription_id: int | None, status: str | None,
                    event_id: str | None, before: int | None, limit: int) -> list[models.Delivery]:
    """Newest first, up to `limit + 1` (the extra one says there is more), ids below `before`."""
    query = select(Delivery).join(models.Subscription, Delivery.subscription_id == models.Subscription.id) \
        .where(visible(principal)).order_by(Delivery.id.desc())
    if subscription_id is not None:
        query = query.where(Delivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if event_id is not None:
        query = query.where(Delivery.event_id == event_id)
    if before is not None:
        query = query.where(Delivery.id < before)
    return list(session.scalars(query.limit(limit + 1)).unique().all())


def retry_by_hand(session: Session, principal: Principal, delivery_id: int) -> models.Delivery:
    """Due now: a failed delivery gets a fresh budget of attempts (the log of earlier attempts
    stays); a held or waiting one goes without waiting further. Queued once committed."""
    delivery = get_delivery(session, principal, delivery_id)
    if delivery.status == "delivered":
        raise conflict("Sudah terkirim / already delivered")
    if not delivery.subscription.active:
        raise conflict("Langganan nonaktif / subscription is inactive")
    now = utcnow()
    if delivery.status == "failed":
        for name, value in fresh_start(delivery.subscription, now).items():
            setattr(delivery, name, value)
    delivery.status = "pending"
    delivery.next_attempt_at = now
    session.commit()
    after_commit(session, lambda: enqueue_quietly([delivery.id]))
    return delivery


def recover(session: Session, principal: Principal, subscription_id: int, since: datetime) -> int:
    """Every failed delivery of the subscription made since `since` goes again (`fresh_start`);
    returns how many. A batch at a time by id, so a subscription with 100k failures never has
    them in memory at once; a digest's members come back with their digest, not alone."""
    sub = get_subscription(session, principal, subscription_id)
    if not sub.active:
        raise conflict("Langganan nonaktif: aktifkan dulu (PATCH active=true) / subscription is inactive: "
                       "switch it on first (PATCH active=true)")
    now = utcnow()
    if since < now - RECOVER_WINDOW:
        raise unprocessable("since", f"paling lama {RECOVER_WINDOW.days} hari lalu / at most "
                                     f"{RECOVER_WINDOW.days} days ago")
    values = fresh_start(sub, now)
    recovered, to_queue, after = 0, [], 0
    while True:
        ids = list(session.scalars(
            select(Delivery.id)
            .where(Delivery.subscription_id == sub.id, Delivery.id > after, Delivery.status == "failed",
                   Delivery.digest_id.is_(None), Delivery.created_at >= since)
            .order_by(Delivery.id).limit(RECOVER_BATCH)))
        if not ids:
            break
        recovered += session.execute(
            update(Delivery).where(Delivery.id.in_(ids), Delivery.status == "failed").values(**values)
            .execution_options(synchronize_session=False)).rowcount
        session.commit()
        to_queue.extend(ids[:RECOVER_QUEUE_AT_ONCE - len(to_queue)])
        after = ids[-1]
    after_commit(session, lambda: enqueue_quietly(to_queue))
    return recovered
