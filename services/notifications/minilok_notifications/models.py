"""The notifications service's tables: who subscribed to what, and every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from minilok_shared.db import BigId, UTCDateTime, new_metadata, utcnow
from minilok_shared.tables import service_tables
from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


outbox, inbox, audit_log, idempotency_keys, revoked_tokens = service_tables(metadata)

# Who a subscription hears (see domain/matching.py):
#   "agency"    - follow-ups its agency owns, supports, or that escalated to it;
#   "puskesmas" - everything about one puskesmas (created by an admin or that puskesmas).
SCOPES = ("agency", "puskesmas")


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        # The handler loads candidates by scope and agency or puskesmas in one query.
        Index("ix_subscriptions_active_agency", "active", "scope", "agency_id"),
        Index("ix_subscriptions_active_puskesmas", "active", "scope", "filter_puskesmas_id"),
        Index("ix_subscriptions_active_channel", "active", "channel"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(BigId)
    scope: Mapped[str] = mapped_column(String(16))
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))
    filter_puskesmas_id: Mapped[int | None] = mapped_column(BigId)
    filter_owner_agency_id: Mapped[int | None] = mapped_column(BigId)
    filter_area_code: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), default="id")
    digest: Mapped[str] = mapped_column(String(16), default="immediate")
    quiet_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    timezone: Mapped[str] = mapped_column(String(32), default="Asia/Jakarta")
    # Webhook signing secrets, Fernet-encrypted; the previous one keeps signing for 24 h after a rotation.
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Since when every attempt to this target has failed (None after a success); after
    # DISABLE_AFTER the subscription is switched off and its owner told.
    failing_since: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Where a delivery that fails for good on `channel` goes once more (sms, email or whatsapp).
    fallback_channel: Mapped[str | None] = mapped_column(String(16))
    fallback_target: Mapped[str | None] = mapped_column(String(2048))
    created_by: Mapped[str] = mapped_column(String(120))
    created_by_role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]

    @property
    def filters(self) -> dict[str, Any]:
        return {
            "puskesmas_id": self.filter_puskesmas_id,
            "owner_agency_id": self.filter_owner_agency_id,
            "area_code": self.filter_area_code,
        }


DELIVERY_STATUSES = ("pending", "held", "delivered", "failed")


class Delivery(Base):
    """One event for one subscription. The unique (event, subscription) pair is what makes a
    redelivered event, or two consumers racing, give a single delivery."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_deliveries_event_subscription"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_deliveries_subscription_id", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    # The CloudEvent as received: the webhook body, and what templates render from.
    payload: Mapped[str] = mapped_column(Text)
    # Stable across retries: the Standard Webhooks `webhook-id`, so receivers can deduplicate.
    message_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[list[Any]] = mapped_column(default=list)
    # Attempts since the delivery was created or last retried by hand (the budget is 8).
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    last_response_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None]
    # Sent on the subscription's fallback after failing for good on its own channel: the same row
    # (so an event still succeeds at most once per subscription), with the fallback's target.
    fallback_used: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    target_override: Mapped[str | None] = mapped_column(String(2048))
    # The provider's id of the sent message (WhatsApp Cloud API `wamid`): its status callbacks name it.
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # Set on deliveries gathered into a daily digest: they share that delivery's fate.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"), index=True)

    subscription: Mapped[Subscription] = relationship(lazy="joined")


DIRECT_STATUSES = ("pending", "sent", "failed")


class DirectMessage(Base):
    """A message to one person that no subscription asked for (a sign-in code): sent from its own
    event, retried briefly, never after `expires_at`. The payload is sealed (it holds the code)."""

    __tablename__ = "direct_messages"
    __table_args__ = (Index("ix_direct_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # One message per event, however often the broker redelivers it.
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="id")
    payload_sealed: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[list[Any]] = mapped_column(default=list)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
