"""The sweep: what is due now (daily digests, held deliveries whose time has come, pending ones not leased)."""

from __future__ import annotations

from datetime import datetime

from minilok_shared.db import utcnow
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from minilok_notifications import models
from minilok_notifications.service_layer.digests import gather_digests

Delivery = models.Delivery


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
