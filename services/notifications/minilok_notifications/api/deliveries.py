"""HTTP routes of the delivery log: parse, call service_layer.deliveries, shape the answer."""

from fastapi import APIRouter
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page

from minilok_notifications.schemas import DeliveryOut, DeliveryStatus
from minilok_notifications.service_layer import deliveries

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


@router.get("", response_model=Page[DeliveryOut])
def list_deliveries(session: SessionDep, principal: CurrentPrincipal, subscription_id: int | None = None,
                    status: DeliveryStatus | None = None, event_id: str | None = None, limit: int = LimitQuery,
                    cursor: str | None = None):
    """Newest first."""
    before = decode_cursor(cursor)[0] if cursor else None
    rows = deliveries.list_deliveries(session, principal, subscription_id=subscription_id, status=status,
                                      event_id=event_id, before=before, limit=limit)
    return keyset_page(rows, limit)


@router.get("/{delivery_id}", response_model=DeliveryOut)
def get_delivery(delivery_id: int, session: SessionDep, principal: CurrentPrincipal):
    return deliveries.get_delivery(session, principal, delivery_id)


@router.post("/{delivery_id}/retry", response_model=DeliveryOut)
def retry_delivery(delivery_id: int, session: SessionDep, principal: CurrentPrincipal):
    """Send now: a failed delivery gets a fresh budget of 8 attempts; a held or waiting one stops waiting."""
    return deliveries.retry_by_hand(session, principal, delivery_id)
