"""What the notifications service tells the others: `notification.failed`, through its outbox."""

from __future__ import annotations

from typing import Any

from minilok_shared.events.outbox import Outbox
from sqlalchemy.orm import Session

from minilok_notifications import models

outbox = Outbox(models.outbox, source="/notifications")


def emit_delivery_failed(session: Session, delivery: models.Delivery, *, subscription_disabled: bool = False) \
        -> dict[str, Any]:
    """A delivery failed for good, or its subscription was just switched off for failing for
    days (`subscription_disabled`): either way its owner should hear of it."""
    subscription = delivery.subscription
    data = {
        "delivery": {
            "id": delivery.id,
            "subscription_id": delivery.subscription_id,
            "event_id": delivery.event_id,
            "event_type": delivery.event_type,
            "channel": delivery.channel,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "last_response_status": delivery.last_response_status,
            "last_error": delivery.last_error,
        },
        "agency_id": subscription.agency_id,
        "subscription_disabled": subscription_disabled,
        "disabled_reason": subscription.disabled_reason,
        "target": subscription.target if subscription.channel == "webhook" else None,
    }
    return outbox.add(session, "notification.failed", delivery.id, data, ownerid=subscription.agency_id,
                      puskesmasid=subscription.filter_puskesmas_id)
