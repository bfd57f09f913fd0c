"""`notification.reply_received`: the owner tapped a quick-reply button on a WhatsApp message (the
notifications service heard it), so the follow-up is acknowledged as that agency, through WhatsApp."""

from __future__ import annotations

import logging

from fastapi import HTTPException
from minilok_shared.action_links import ActionClaim, ExpiredActionLink, InvalidActionLink, read_action_token
from minilok_shared.auth import Principal
from minilok_shared.events.consumer import HandlerContext

from minilok_meetings.config import get_settings
from minilok_meetings.schemas import AcknowledgeIn
from minilok_meetings.service_layer import actions, followups

log = logging.getLogger(__name__)


def whatsapp_principal(claim: ActionClaim) -> Principal:
    """The owning agency, named in history and audit as acting from a WhatsApp button."""
    return Principal(role="agency", agency_id=str(claim.agency_id), subject=f"agency:{claim.agency_id}:whatsapp")


def apply_reply(ctx: HandlerContext) -> None:
    """Checked again here (the token is ours, and names the event's follow-up and agency); a reply
    that no longer applies (done, cancelled, reassigned, already acknowledged) is logged and dropped,
    never retried: the inbox keeps it handled."""
    data, settings = ctx.data, get_settings()
    try:
        claim = read_action_token(settings.minilok_secret, str(data.get("token") or ""),
                                  settings.minilok_secret_previous)
    except (InvalidActionLink, ExpiredActionLink) as exc:
        log.warning("reply %s dropped: %s", ctx.event["id"], exc)
        return
    if (str(claim.followup_id), str(claim.agency_id)) != (str(data.get("followup_id")), str(data.get("agency_id"))) \
            or data.get("action") != "acknowledge":
        log.warning("reply %s dropped: its token does not name its follow-up and agency", ctx.event["id"])
        return
    try:
        followup = actions.active_followup(ctx.session, claim)
        if followup.acknowledged_at is not None:
            log.info("reply %s: follow-up %s was already acknowledged", ctx.event["id"], claim.followup_id)
            return
        followups.record_acknowledgement(ctx.session, whatsapp_principal(claim), claim.followup_id, AcknowledgeIn())
    except HTTPException as exc:
        log.info("reply %s dropped: follow-up %s: %s", ctx.event["id"], claim.followup_id, exc.detail)
