"""What the meetings service tells the others: events written to its outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_shared.events.outbox import Outbox

outbox = Outbox(models.outbox, source="/meetings")


def followup_data(followup: models.FollowUp) -> dict[str, Any]:
    return {
        "id": followup.id,
        "meeting_id": followup.meeting_id,
        "puskesmas_id": followup.puskesmas_id,
        "title": followup.title,
        "action": followup.action,
        "owner_agency_id": followup.owner_agency_id,
        "supporting_agency_ids": followup.supporting_agency_ids,
        "due_at": followup.due_at.isoformat(),
        "status": followup.status,
        "escalation_level": followup.escalation_level,
        "area_code": followup.area_code,
        "indicator_code": followup.indicator_code,
    }


def emit_followup_event(session: Session, type: str, followup: models.FollowUp, **extra: Any) -> dict[str, Any]:
    """`extra`: previous_status, escalated_to_agency_ids, actor (only those given are sent)."""
    data = {"followup": followup_data(followup), **{k: v for k, v in extra.items() if v is not None}}
    return outbox.add(session, type, followup.id, data, puskesmasid=followup.puskesmas_id,
                      ownerid=followup.owner_agency_id)


def emit_meeting_event(session: Session, type: str, meeting: models.Meeting) -> dict[str, Any]:
    data = {
        "meeting": {
            "id": meeting.id,
            "puskesmas_id": meeting.puskesmas_id,
            "kind": meeting.kind,
            "title": meeting.title,
            "scheduled_at": meeting.scheduled_at.isoformat(),
            "location": meeting.location,
            "status": meeting.status,
        }
    }
    return outbox.add(session, type, meeting.id, data, puskesmasid=meeting.puskesmas_id)
