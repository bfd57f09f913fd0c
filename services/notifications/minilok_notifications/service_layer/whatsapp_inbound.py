"""What the WhatsApp Cloud API tells us through its webhook: a tap on one of our quick-reply buttons
becomes `notification.reply_received` (once per WhatsApp message id), and the status of a message we
sent (sent, delivered, read, failed) lands on its delivery."""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from minilok_shared.action_links import ExpiredActionLink, InvalidActionLink, read_action_token
from minilok_shared.db import insert_on_conflict, utcnow
from minilok_shared.events.envelope import dumps, new_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_notifications import models
from minilok_notifications.channels.whatsapp_cloud import read_reply_payload
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.events import emit_delivery_failed
from minilok_notifications.service_layer.attempts import switch_to_fallback
from minilok_notifications.service_layer.digests import settle_digest_members

log = logging.getLogger(__name__)

REPLY_RECEIVED = "notification.reply_received"
# Event ids of replies are uuid5(this, wamid): Meta's redelivery of a webhook names the same wamid.
REPLY_NAMESPACE = uuid.UUID("6f1d3c52-8a47-4d0e-9b1e-6d3f3f0c2a71")
STATUSES = ("sent", "delivered", "read", "failed")


def verify_subscription(settings: NotificationsSettings, mode: str | None, verify_token: str | None) -> bool:
    """Meta's handshake when the webhook is registered: our verify token, and only when one is set."""
    expected = settings.whatsapp_verify_token
    return bool(expected) and mode == "subscribe" and verify_token is not None and \
        hmac.compare_digest(verify_token.encode(), expected.encode())


def signature_valid(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`; no secret, no trust."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256="):].strip().lower().encode(), expected.encode())


def _items(value: Any, key: str) -> list[dict[str, Any]]:
    found = value.get(key) if isinstance(value, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _timestamp(value: Any, default: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default


def handle_webhook(session: Session, settings: NotificationsSettings, body: dict[str, Any]) \
        -> tuple[dict[str, int], list[int]]:
    """Every reply and status in one webhook call, in one transaction: counts of what it did, and
    the deliveries to queue once it is committed (moved to their fallback)."""
    now = utcnow()
    counts = {"replies": 0, "duplicates": 0, "ignored": 0, "statuses": 0}
    resend: list[int] = []
    for entry in _items(body, "entry"):
        for change in _items(entry, "changes"):
            value = change.get("value")
            for message in _items(value, "messages"):
                outcome = record_reply(session, settings, message, now)
                counts[outcome] += 1
            for status in _items(value, "statuses"):
                recorded, send_now = record_status(session, status, now)
                counts["statuses" if recorded else "ignored"] += 1
                resend += [send_now] if send_now else []
    session.commit()
    return counts, resend


def reply_payload(message: dict[str, Any]) -> str | None:
    """The payload of a tapped button: a template's quick reply (`button.payload`) or an interactive
    message's reply button (`interactive.button_reply.id`)."""
    if message.get("type") == "button" and isinstance(message.get("button"), dict):
        payload = message["button"].get("payload")
    elif message.get("type") == "interactive" and isinstance(message.get("interactive"), dict):
        reply = message["interactive"].get("button_reply")
        payload = reply.get("id") if isinstance(reply, dict) else None
    else:
        return None
    return payload if isinstance(payload, str) else None


def record_reply(session: Session, settings: NotificationsSettings, message: dict[str, Any], now: datetime) -> str:
    """"replies" when a tap on our button became an event, "duplicates" when that wamid already did,
    "ignored" for anything else (a typed message, a payload not ours, a link no longer valid)."""
    wamid, sender = message.get("id"), message.get("from")
    read = read_reply_payload(reply_payload(message) or "")
    if read is None or not isinstance(wamid, str) or not wamid or not isinstance(sender, str):
        return "ignored"
    action, token = read
    try:
        claim = read_action_token(settings.minilok_secret, token, settings.minilok_secret_previous)
    except ExpiredActionLink:
        log.info("WhatsApp reply %s: the link behind its button has expired", wamid)
        return "ignored"
    except InvalidActionLink:
        log.warning("WhatsApp reply %s: a button payload we did not sign", wamid)
        return "ignored"
    data = {"followup_id": claim.followup_id, "agency_id": claim.agency_id, "action": action,
            "from": "+" + sender.lstrip("+"), "wamid": wamid,
            "received_at": _timestamp(message.get("timestamp"), now).isoformat(), "token": token}
    event = new_event(REPLY_RECEIVED, "/notifications", claim.followup_id, data, ownerid=claim.agency_id,
                      id=str(uuid.uuid5(REPLY_NAMESPACE, wamid)))
    table = models.outbox
    inserted = session.execute(
        insert_on_conflict(session, table).values(
            event_id=event["id"], type=REPLY_RECEIVED, subject=str(claim.followup_id), body=dumps(event).decode(),
            created_at=now,
        ).on_conflict_do_nothing(index_elements=["event_id"]).returning(table.c.event_id)
    ).first()
    log.info("WhatsApp reply %s: %s on follow-up %s%s", wamid, action, claim.followup_id,
             "" if inserted else " (already received)")
    return "replies" if inserted else "duplicates"


def _status_error(status: dict[str, Any]) -> str | None:
    errors = _items(status, "errors")
    if not errors:
        return None
    first = errors[0]
    details = first.get("error_data", {}).get("details") if isinstance(first.get("error_data"), dict) else None
    text = f"WhatsApp {first.get('code')}: {first.get('title') or first.get('message') or ''}".strip()
    return f"{text} ({details})" if details else text


def record_status(session: Session, status: dict[str, Any], now: datetime) -> tuple[bool, int | None]:
    """The status as an attempt entry of the delivery that sent the message: (recorded, the id of a
    delivery to send now). A `failed` after the Cloud API had accepted the message fails the
    delivery, and its subscription's fallback, if any, takes it. Not recorded when no delivery sent
    that message (yet), or Meta said it before."""
    wamid, state = status.get("id"), status.get("status")
    if not isinstance(wamid, str) or not wamid or state not in STATUSES:
        return False, None
    delivery = session.scalars(select(models.Delivery).where(models.Delivery.provider_message_id == wamid)
                               .with_for_update(of=models.Delivery).limit(1)).first()
    if delivery is None:
        log.info("WhatsApp status %s for %s: no delivery sent that message", state, wamid)
        return False, None
    at = _timestamp(status.get("timestamp"), now).isoformat()
    if any(a.get("status") == state and a.get("at") == at for a in delivery.attempts):
        return False, None  # Meta posts a webhook again when our answer was slow
    error = _status_error(status)
    if state == "failed":
        error = error or "WhatsApp: pesan gagal sampai / message not delivered"
    delivery.attempts = [*delivery.attempts, {"at": at, "response_status": None, "error": error, "status": state}]
    if state != "failed" or delivery.status != "delivered":
        return True, None
    delivery.status, delivery.delivered_at, delivery.last_error = "failed", None, error
    if switch_to_fallback(delivery, now):
        return True, delivery.id
    emit_delivery_failed(session, delivery)
    settle_digest_members(session, delivery)
    return True, None
