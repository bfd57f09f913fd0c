"""Subscriptions: who may make, see, change, delete, rotate and test which, and what each of those does."""

from __future__ import annotations

from datetime import timedelta

from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import conflict, forbidden, not_found, unprocessable
from minilok_shared.events.envelope import new_event
from minilok_shared.idempotency import after_commit
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minilok_notifications import models
from minilok_notifications.access import agency_of, check_manage, check_subscriber, scope_for, visible
from minilok_notifications.channels import webhook_secrets
from minilok_notifications.channels.webhook import check_target_addresses
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.targets import InvalidTarget, normalize_target
from minilok_notifications.schemas import Fallback, Filters, SubscriptionCreate, SubscriptionUpdate
from minilok_notifications.service_layer.fan_out import new_delivery
from minilok_notifications.tasks import enqueue_quietly

Subscription = models.Subscription

# After a rotation the old key keeps signing alongside the new one this long.
ROTATION_OVERLAP = timedelta(hours=24)


def valid_target(settings: NotificationsSettings, channel: str, target: str, field: str = "target") -> str:
    """The target in its normal form; a webhook's must not point at a private address unless allowed."""
    try:
        target = normalize_target(channel, target)
        if channel == "webhook":
            check_target_addresses(target, settings.allow_private_targets)
    except InvalidTarget as exc:
        raise unprocessable(field, str(exc)) from exc
    return target


def set_fallback(sub: models.Subscription, settings: NotificationsSettings, fallback: Fallback | None) -> None:
    """Another channel than the subscription's own (a webhook is never one: it is no person's inbox),
    its target checked like a main one."""
    if fallback is None:
        sub.fallback_channel, sub.fallback_target = None, None
        return
    if fallback.channel == sub.channel:
        raise unprocessable("fallback.channel", "harus saluran lain dari langganan ini / must be another channel "
                                                "than the subscription's own")
    sub.fallback_target = valid_target(settings, fallback.channel, fallback.target, field="fallback.target")
    sub.fallback_channel = fallback.channel


def checked_filters(principal: Principal, filters: Filters) -> Filters:
    """A puskesmas token's subscriptions always watch its own puskesmas."""
    if principal.role != "puskesmas":
        return filters
    if filters.puskesmas_id is None:
        return filters.model_copy(update={"puskesmas_id": int(principal.puskesmas_id)})
    if str(filters.puskesmas_id) != principal.puskesmas_id:
        raise forbidden("Hanya untuk puskesmas sendiri / only for your own puskesmas")
    return filters


def get_subscription(session: Session, principal: Principal, subscription_id: int) -> models.Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.deleted_at is not None:
        raise not_found("Langganan / subscription", subscription_id)
    check_manage(principal, sub)
    return sub


def list_subscriptions(session: Session, principal: Principal, *, agency_id: int | None, channel: str | None,
                       after: int | None, limit: int) -> list[models.Subscription]:
    """In id order, up to `limit + 1` (the extra one says there is more), ids above `after`."""
    query = select(Subscription).where(Subscription.deleted_at.is_(None), visible(principal)).order_by(Subscription.id)
    if agency_id is not None:
        query = query.where(Subscription.agency_id == agency_id)
    if channel is not None:
        query = query.where(Subscription.channel == channel)
    if after is not None:
        query = query.where(Subscription.id > after)
    return list(session.scalars(query.limit(limit + 1)).all())


def create_subscription(session: Session, settings: NotificationsSettings, principal: Principal,
                        body: SubscriptionCreate) -> tuple[models.Subscription, str | None]:
    """The new subscription and, for a webhook, its signing secret (shown this once)."""
    check_subscriber(principal)
    agency_id = body.agency_id
    if agency_of(principal) is not None:  # an agency's token, or a dinas's with its own agency
        if agency_id is None:
            agency_id = int(principal.agency_id)
        elif str(agency_id) != principal.agency_id:
            raise forbidden("Hanya untuk lembaga sendiri / only for your own agency")
    elif agency_id is None:
        raise unprocessable("agency_id", "wajib diisi / field required")
    filters = checked_filters(principal, body.filters)
    target = valid_target(settings, body.channel, body.target)
    secret = webhook_secrets.new_webhook_secret() if body.channel == "webhook" else None
    sub = Subscription(
        agency_id=agency_id, scope=scope_for(principal.role, filters.puskesmas_id), event_types=body.event_types,
        channel=body.channel, target=target, filter_puskesmas_id=filters.puskesmas_id,
        filter_owner_agency_id=filters.owner_agency_id, filter_area_code=filters.area_code,
        language=body.language, digest=body.digest,
        quiet_hours=body.quiet_hours.model_dump() if body.quiet_hours else None, timezone=body.timezone,
        secret_encrypted=webhook_secrets.encrypt(settings.minilok_secret, secret) if secret else None,
        active=True, created_by=principal.subject, created_by_role=principal.role,
    )
    set_fallback(sub, settings, body.fallback)
    session.add(sub)
    session.commit()
    return sub, secret


def update_subscription(session: Session, settings: NotificationsSettings, principal: Principal,
                        subscription_id: int, body: SubscriptionUpdate) -> models.Subscription:
    """Change the fields given; the scope stays what it was made with (access.py)."""
    sub = get_subscription(session, principal, subscription_id)
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
        sub.target = valid_target(settings, sub.channel, body.target)
    if "fallback" in given:
        set_fallback(sub, settings, body.fallback)
    if "quiet_hours" in given:
        sub.quiet_hours = body.quiet_hours.model_dump() if body.quiet_hours else None
    if "filters" in given:
        filters = checked_filters(principal, body.filters or Filters())
        if sub.scope == "puskesmas" and filters.puskesmas_id is None:
            raise unprocessable("filters", "filters.puskesmas_id wajib untuk langganan sepuskesmas / "
                                           "filters.puskesmas_id is required on a puskesmas-wide subscription")
        sub.filter_puskesmas_id = filters.puskesmas_id
        sub.filter_owner_agency_id = filters.owner_agency_id
        sub.filter_area_code = filters.area_code
    session.commit()
    return sub


def delete_subscription(session: Session, principal: Principal, subscription_id: int) -> None:
    """The subscription stops at once; its delivery log is kept, and what was still waiting fails."""
    sub = get_subscription(session, principal, subscription_id)
    now = utcnow()
    sub.active, sub.deleted_at = False, now
    session.execute(
        update(models.Delivery)
        .where(models.Delivery.subscription_id == sub.id, models.Delivery.status.in_(("pending", "held")))
        .values(status="failed", next_attempt_at=None, last_error="langganan dihapus / subscription deleted")
        .execution_options(synchronize_session=False)
    )
    session.commit()


def rotate_secret(session: Session, settings: NotificationsSettings, principal: Principal,
                  subscription_id: int) -> tuple[models.Subscription, str]:
    """A new signing secret (returned, shown this once); the old one keeps signing for ROTATION_OVERLAP."""
    sub = get_subscription(session, principal, subscription_id)
    if sub.channel != "webhook":
        raise conflict("Hanya langganan webhook yang punya secret / only webhook subscriptions have a secret")
    secret = webhook_secrets.new_webhook_secret()
    sub.previous_secret_encrypted = sub.secret_encrypted
    sub.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    sub.secret_encrypted = webhook_secrets.encrypt(settings.minilok_secret, secret)
    session.commit()
    return sub, secret


def send_test(session: Session, principal: Principal, subscription_id: int) -> models.Delivery:
    """A `notification.test` CloudEvent on the real delivery path: its delivery, still pending, queued once
    committed (a worker sends it, never the request, which a slow target would hold up)."""
    sub = get_subscription(session, principal, subscription_id)
    if not sub.active:
        raise conflict("Langganan nonaktif / subscription is inactive")
    event = new_event("notification.test", "/notifications", sub.id, {
        "subscription_id": sub.id, "agency_id": sub.agency_id,
        "message": "Uji coba notifikasi Minilok / Minilok test notification",
    }, ownerid=sub.agency_id)
    delivery = new_delivery(session, sub, event, utcnow())
    session.commit()
    after_commit(session, lambda: enqueue_quietly([delivery.id]))
    return delivery
