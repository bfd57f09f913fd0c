import logging
from datetime import timedelta

from fastapi import APIRouter, Request, Response, status
from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import conflict, forbidden, not_found, unprocessable
from minilok_shared.events.envelope import new_event
from minilok_shared.idempotency import after_commit
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page
from sqlalchemy import select, update

from minilok_notifications import deliveries, models
from minilok_notifications.channels import webhook_secrets
from minilok_notifications.api.access import check_manage, scope_for, visible
from minilok_notifications.api.schemas import (
    DeliveryOut,
    Filters,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from minilok_notifications.channels.webhook import check_target_addresses
from minilok_notifications.domain.targets import InvalidTarget, normalize_target
from minilok_notifications.tasks import enqueue_quietly

log = logging.getLogger(__name__)

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])

# After a rotation the old key keeps signing alongside the new one this long.
ROTATION_OVERLAP = timedelta(hours=24)


def _valid_target(request: Request, channel: str, target: str) -> str:
    try:
        target = normalize_target(channel, target)
        if channel == "webhook":
            check_target_addresses(target, request.app.state.settings.allow_private_targets)
    except InvalidTarget as exc:
        raise unprocessable("target", str(exc)) from exc
    return target


def _checked_filters(principal: Principal, filters: Filters) -> Filters:
    """A puskesmas token's subscriptions always watch its own puskesmas."""
    if principal.role != "puskesmas":
        return filters
    if filters.puskesmas_id is None:
        return filters.model_copy(update={"puskesmas_id": int(principal.puskesmas_id)})
    if str(filters.puskesmas_id) != principal.puskesmas_id:
        raise forbidden("Hanya untuk puskesmas sendiri / only for your own puskesmas")
    return filters


def _get(session, principal: Principal, subscription_id: int) -> models.Subscription:
    sub = session.get(models.Subscription, subscription_id)
    if sub is None or sub.deleted_at is not None:
        raise not_found("Langganan / subscription", subscription_id)
    check_manage(principal, sub)
    return sub


def _with_secret(sub: models.Subscription, secret: str | None) -> SubscriptionWithSecret:
    return SubscriptionWithSecret.model_validate({**SubscriptionOut.model_validate(sub).model_dump(), "secret": secret})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionWithSecret,
             response_model_exclude_none=False)
def create_subscription(body: SubscriptionCreate, request: Request, session: SessionDep, principal: CurrentPrincipal):
    agency_id = body.agency_id
    if principal.role == "agency":
        if agency_id is None:
            agency_id = int(principal.agency_id)
        elif str(agency_id) != principal.agency_id:
            raise forbidden("Hanya untuk lembaga sendiri / only for your own agency")
    elif agency_id is None:
        raise unprocessable("agency_id", "wajib diisi / field required")
    filters = _checked_filters(principal, body.filters)
    target = _valid_target(request, body.channel, body.target)
    secret = webhook_secrets.new_webhook_secret() if body.channel == "webhook" else None
    sub = models.Subscription(
        agency_id=agency_id, scope=scope_for(principal.role, filters.puskesmas_id), event_types=body.event_types,
        channel=body.channel, target=target, filter_puskesmas_id=filters.puskesmas_id,
        filter_owner_agency_id=filters.owner_agency_id, filter_area_code=filters.area_code,
        language=body.language, digest=body.digest,
        quiet_hours=body.quiet_hours.model_dump() if body.quiet_hours else None, timezone=body.timezone,
        secret_encrypted=webhook_secrets.encrypt(request.app.state.settings.minilok_secret, secret) if secret else None,
        active=True, created_by=principal.subject, created_by_role=principal.role,
    )
    session.add(sub)
    session.commit()
    return _with_secret(sub, secret)


@router.get("", response_model=Page[SubscriptionOut])
def list_subscriptions(session: SessionDep, principal: CurrentPrincipal, agency_id: int | None = None,
                       channel: str | None = None, limit: int = LimitQuery, cursor: str | None = None):
    sub = models.Subscription
    query = select(sub).where(sub.deleted_at.is_(None), visible(principal)).order_by(sub.id)
    if agency_id is not None:
        query = query.where(sub.agency_id == agency_id)
    if channel is not None:
        query = query.where(sub.channel == channel)
    if cursor:
        (after,) = decode_cursor(cursor)
        query = query.where(sub.id > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)


@router.get("/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(subscription_id: int, session: SessionDep, principal: CurrentPrincipal):
    return _get(session, principal, subscription_id)


@router.patch("/{subscription_id}", response_model=SubscriptionOut)
def update_subscription(subscription_id: int, body: SubscriptionUpdate, request: Request, session: SessionDep,
                        principal: CurrentPrincipal):
    sub = _get(session, principal, subscription_id)
    given = body.model_fields_set
    for name in ("event_types", "language", "digest", "timezone", "active"):
        if name in given:
            value = getattr(body, name)
            if value is None:
                raise unprocessable(name, "tidak boleh kosong / may not be null")
            setattr(sub, name, value)
    if body.active:  # switched on again by hand: start counting failures afresh
        sub.failing_since, sub.disabled_reason = None, None
    if "target" in given:
        if body.target is None:
            raise unprocessable("target", "tidak boleh kosong / may not be null")
        sub.target = _valid_target(request, sub.channel, body.target)
    if "quiet_hours" in given:
        sub.quiet_hours = body.quiet_hours.model_dump() if body.quiet_hours else None
    if "filters" in given:  # the scope stays what it was made with (api/access.py)
        filters = _checked_filters(principal, body.filters or Filters())
        if sub.scope == "puskesmas" and filters.puskesmas_id is None:
            raise unprocessable("filters", "filters.puskesmas_id wajib untuk langganan sepuskesmas / "
                                           "filters.puskesmas_id is required on a puskesmas-wide subscription")
        sub.filter_puskesmas_id = filters.puskesmas_id
        sub.filter_owner_agency_id = filters.owner_agency_id
        sub.filter_area_code = filters.area_code
    session.commit()
    return sub


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(subscription_id: int, session: SessionDep, principal: CurrentPrincipal):
    """The subscription stops at once; its delivery log is kept, and what was still waiting fails."""
    sub = _get(session, principal, subscription_id)
    now = utcnow()
    sub.active, sub.deleted_at = False, now
    session.execute(
        update(models.Delivery)
        .where(models.Delivery.subscription_id == sub.id, models.Delivery.status.in_(("pending", "held")))
        .values(status="failed", next_attempt_at=None, last_error="langganan dihapus / subscription deleted")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{subscription_id}/rotate-secret", response_model=SubscriptionWithSecret)
def rotate_secret(subscription_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal):
    sub = _get(session, principal, subscription_id)
    if sub.channel != "webhook":
        raise conflict("Hanya langganan webhook yang punya secret / only webhook subscriptions have a secret")
    master = request.app.state.settings.minilok_secret
    secret = webhook_secrets.new_webhook_secret()
    sub.previous_secret_encrypted = sub.secret_encrypted
    sub.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    sub.secret_encrypted = webhook_secrets.encrypt(master, secret)
    session.commit()
    return _with_secret(sub, secret)


@router.post("/{subscription_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=DeliveryOut)
def test_subscription(subscription_id: int, session: SessionDep, principal: CurrentPrincipal):
    """Queue a `notification.test` CloudEvent on the real delivery path and answer with its
    delivery, still pending: a worker sends it (never this request, which a slow target would
    hold up); follow it at `GET /deliveries/{id}`."""
    sub = _get(session, principal, subscription_id)
    if not sub.active:
        raise conflict("Langganan nonaktif / subscription is inactive")
    event = new_event("notification.test", "/notifications", sub.id, {
        "subscription_id": sub.id, "agency_id": sub.agency_id,
        "message": "Uji coba notifikasi Minilok / Minilok test notification",
    }, ownerid=sub.agency_id)
    delivery = deliveries.create_test_delivery(session, sub, event)
    session.commit()
    after_commit(session, lambda: enqueue_quietly([delivery.id]))
    return delivery
