from fastapi import APIRouter
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import conflict, not_found
from minilok_shared.idempotency import after_commit
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page
from sqlalchemy import select

from minilok_notifications import deliveries, models
from minilok_notifications.api.access import check_manage, visible
from minilok_notifications.api.schemas import DeliveryOut, DeliveryStatus
from minilok_notifications.tasks import enqueue_quietly

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


def _get(session, principal, delivery_id: int) -> models.Delivery:
    delivery = session.get(models.Delivery, delivery_id)
    if delivery is None:
        raise not_found("Pengiriman / delivery", delivery_id)
    check_manage(principal, delivery.subscription)
    return delivery


@router.get("", response_model=Page[DeliveryOut])
def list_deliveries(session: SessionDep, principal: CurrentPrincipal, subscription_id: int | None = None,
                    status: DeliveryStatus | None = None, event_id: str | None = None, limit: int = LimitQuery,
                    cursor: str | None = None):
    """Newest first."""
    d = models.Delivery
    query = select(d).join(models.Subscription, d.subscription_id == models.Subscription.id) \
        .where(visible(principal)).order_by(d.id.desc())
    if subscription_id is not None:
        query = query.where(d.subscription_id == subscription_id)
    if status is not None:
        query = query.where(d.status == status)
    if event_id is not None:
        query = query.where(d.event_id == event_id)
    if cursor:
        (before,) = decode_cursor(cursor)
        query = query.where(d.id < before)
    return keyset_page(session.scalars(query.limit(limit + 1)).unique().all(), limit)


@router.get("/{delivery_id}", response_model=DeliveryOut)
def get_delivery(delivery_id: int, session: SessionDep, principal: CurrentPrincipal):
    return _get(session, principal, delivery_id)


@router.post("/{delivery_id}/retry", response_model=DeliveryOut)
def retry_delivery(delivery_id: int, session: SessionDep, principal: CurrentPrincipal):
    """Send now: a failed delivery gets a fresh budget of 8 attempts; a held or waiting one stops waiting."""
    delivery = _get(session, principal, delivery_id)
    if delivery.status == "delivered":
        raise conflict("Sudah terkirim / already delivered")
    if not delivery.subscription.active:
        raise conflict("Langganan nonaktif / subscription is inactive")
    deliveries.retry_by_hand(delivery)
    session.commit()
    after_commit(session, lambda: enqueue_quietly([delivery.id]))
    return delivery
