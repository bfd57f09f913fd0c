"""Direct messages: a sign-in code to one person, from an `auth.code_requested` event, over the
same channels as deliveries but outside subscriptions. Kept sealed, retried a few times with a
short wait, and given up once the code has expired."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from minilok_shared.crypto import SecretBox, Undecryptable
from minilok_shared.db import insert_on_conflict, utcnow
from minilok_shared.events.envelope import InvalidEvent
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from minilok_notifications import models
from minilok_notifications.channels import Message, SendResult
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.retries import classify
from minilok_notifications.service_layer.attempts import send_guarded

log = logging.getLogger(__name__)

DirectMessage = models.DirectMessage
CODE_REQUESTED = "auth.code_requested"
# What the meetings service sealed the code with (the same labels, under MINILOK_SECRET). The row
# keeps the code as sealed; it is opened only to render the text at each attempt.
SEALED_CODES = SecretBox(salt=b"minilok-sign-in-code", purpose=b"sign-in code")
# Waits after failed attempts 1..5; a code lasts 10 minutes, so later is too late anyway.
RETRY_DELAYS_SECONDS = (2, 5, 15, 30, 60)
LEASE = timedelta(seconds=60)


def _when(value: Any, field: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidEvent(f"{field} is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        raise InvalidEvent(f"{field} has no offset")
    return when


def channel_for(kind: str, settings: NotificationsSettings) -> str:
    """A phone hears WhatsApp where a WhatsApp gateway is set, else SMS; an email, email."""
    if kind == "email":
        return "email"
    if kind == "phone":
        return "whatsapp" if settings.whatsapp_gateway_url else "sms"
    raise InvalidEvent(f"channel must be phone or email, not {kind!r}")


def record_code_request(session: Session, event: dict[str, Any], settings: NotificationsSettings,
                        now: datetime | None = None) -> int | None:
    """The direct message of an `auth.code_requested` event (once per event id); its id when new
    and still worth sending."""
    now = now or utcnow()
    data = event.get("data") or {}
    target, sealed = data.get("target"), data.get("code_sealed")
    if not isinstance(target, str) or not target or not isinstance(sealed, str):
        raise InvalidEvent("auth.code_requested needs data.target and data.code_sealed")
    expires_at = _when(data.get("expires_at"), "expires_at")
    language = data.get("language") if data.get("language") in ("id", "en") else "id"
    # Opened once here: a seal not ours fails the event now (dead-lettered), not each attempt.
    SEALED_CODES.decrypt(settings.minilok_secret, sealed, settings.minilok_secret_previous)
    table = DirectMessage.__table__
    row = session.execute(
        insert_on_conflict(session, table).values(
            event_id=event["id"], event_type=event["type"], channel=channel_for(data.get("channel"), settings),
            target=target[:254], language=language,
            payload_sealed=sealed, status="pending", attempts=[],
            next_attempt_at=now, expires_at=expires_at, created_at=now,
        ).on_conflict_do_nothing(index_elements=["event_id"]).returning(table.c.id)
    ).first()
    if row is None or expires_at <= now:
        return None
    return row.id


def _lease(session: Session, message_id: int, now: datetime) -> bool:
    c = DirectMessage.__table__.c
    return session.execute(
        update(DirectMessage.__table__)
        .where(c.id == message_id, c.status == "pending", or_(c.lease_until.is_(None), c.lease_until < now),
               or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now + timedelta(seconds=1)))
        .values(lease_until=now + LEASE)
    ).rowcount == 1


def message_of(row: models.DirectMessage, settings: NotificationsSettings) -> Message:
    """The channel adapters' Message: its body an event-shaped object the templates render."""
    code = SEALED_CODES.decrypt(settings.minilok_secret, row.payload_sealed, settings.minilok_secret_previous)
    data = {"code": code, "expires_at": row.expires_at.isoformat()}
    body = {"id": row.event_id, "type": row.event_type, "data": data}
    return Message(delivery_id=row.id, message_id=f"direct_{row.event_id}", subscription_id=0, channel=row.channel,
                   target=row.target, language=row.language, timezone="Asia/Jakarta", body=json.dumps(body))


def outcome_of(result: SendResult) -> str:
    if result.permanent:
        return "failed"
    return result.outcome or classify(result.response_status)


def send_direct(session_factory: sessionmaker[Session], settings: NotificationsSettings, message_id: int) -> \
        tuple[str, float | None]:
    """One attempt: ("skipped", None) when another worker has it or it is not due, else (status
    after the attempt, seconds until the next one or None)."""
    now = utcnow()
    with session_factory.begin() as session:
        if not _lease(session, message_id, now):
            return "skipped", None
        row = session.get(DirectMessage, message_id)
        if row.expires_at <= now:
            row.status, row.lease_until, row.next_attempt_at = "failed", None, None
            row.attempts = [*row.attempts, {"at": now.isoformat(), "response_status": None,
                                            "error": "kode kedaluwarsa sebelum terkirim / expired before sent"}]
            return "failed", None
        try:
            message = message_of(row, settings)
        except Undecryptable as exc:  # sealed under a secret we no longer have: no retry can help
            row.status, row.lease_until, row.next_attempt_at = "failed", None, None
            row.attempts = [*row.attempts, {"at": now.isoformat(), "response_status": None, "error": str(exc)}]
            return "failed", None
    result = send_guarded(message, settings)
    with session_factory.begin() as session:
        row = session.get(DirectMessage, message_id)
        now = utcnow()
        row.lease_until = None
        if result.deferred:
            row.next_attempt_at = now + timedelta(seconds=result.retry_after or 1.0)
            return row.status, result.retry_after or 1.0
        row.attempts = [*row.attempts, {"at": now.isoformat(), "response_status": result.response_status,
                                        "error": result.error}]
        outcome, delay = outcome_of(result), None
        if outcome == "delivered":
            row.status, row.sent_at, row.next_attempt_at = "sent", now, None
        elif outcome == "retry" and len(row.attempts) <= len(RETRY_DELAYS_SECONDS):
            delay = max(RETRY_DELAYS_SECONDS[len(row.attempts) - 1], result.retry_after or 0)
            if now + timedelta(seconds=delay) < row.expires_at:
                row.next_attempt_at = now + timedelta(seconds=delay)
            else:
                delay = None
        if outcome != "delivered" and delay is None:
            row.status, row.next_attempt_at = "failed", None
        status = row.status
    # The target (a phone number or an address) is personal data: the log names the row only.
    log.info("direct message %s %s (attempt %d)", message_id, status, len(row.attempts),
             extra={"direct_message_id": message_id, "response_status": result.response_status})
    return status, delay


def due_direct_messages(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    """Pending, due and unleased: what the sweep queues when a queued attempt was lost."""
    return list(session.scalars(
        select(DirectMessage.id)
        .where(DirectMessage.status == "pending", DirectMessage.next_attempt_at <= now,
               or_(DirectMessage.lease_until.is_(None), DirectMessage.lease_until < now))
        .order_by(DirectMessage.next_attempt_at).limit(limit)))
