"""The delivery log as its owners see it: read one, list them, retry one by hand."""

from __future__ import annotations

from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import conflict, not_found
from minilok_shared.idempotency import after_commit
from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_notifications import models
from minilok_notifications.access import check_manage, visible
from minilok_notifications.tasks import enqueue_quietly

Delivery = models.Delivery


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
    if delivery.status == "failed":
        delivery.attempt_count = 0
        delivery.lease_until = None
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    session.commit()
    after_commit(session, lambda: enqueue_quietly([delivery.id]))
    return delivery
