"""Completed follow-ups, kept so that the indicator before and after completion can be compared."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from minilok_indicators.models import FollowUpCompletion


def _optional_str(value) -> str | None:
    return None if value is None else str(value)


def record_completion(session: Session, event_id: str, followup: dict, completed_at: datetime,
                      puskesmas_id: str | None = None) -> None:
    """Keep one completed follow-up (`followup`: the event's data.followup, with an id)."""
    # The inbox already drops a redelivered event; the unique event_id guards the table itself.
    session.add(FollowUpCompletion(
        event_id=event_id,
        followup_id=str(followup["id"]),
        puskesmas_id=_optional_str(followup.get("puskesmas_id") or puskesmas_id),
        title=(followup.get("title") or None) and str(followup["title"])[:300],
        area_code=_optional_str(followup.get("area_code")),
        indicator_code=_optional_str(followup.get("indicator_code")),
        completed_at=completed_at,
    ))
