"""Completed follow-ups, kept so that the indicator before and after completion can be compared."""

from __future__ import annotations

from datetime import datetime

from minilok_indicators.models import FollowUpCompletion
from minilok_shared.events.consumer import HandlerContext
from minilok_shared.events.envelope import InvalidEvent


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError) as exc:
        raise InvalidEvent(f"event time {text!r} is not ISO 8601") from exc
    if moment.tzinfo is None:
        raise InvalidEvent(f"event time {text!r} has no offset")
    return moment


def _optional_str(value) -> str | None:
    return None if value is None else str(value)


def record_completion(ctx: HandlerContext) -> None:
    followup = ctx.data.get("followup")
    if not isinstance(followup, dict) or followup.get("id") is None:
        raise InvalidEvent("followup.completed without data.followup.id")
    # The inbox already drops a redelivered event; the unique event_id guards the table itself.
    ctx.session.add(FollowUpCompletion(
        event_id=ctx.event["id"],
        followup_id=str(followup["id"]),
        puskesmas_id=_optional_str(followup.get("puskesmas_id") or ctx.event.get("puskesmasid")),
        title=(followup.get("title") or None) and str(followup["title"])[:300],
        area_code=_optional_str(followup.get("area_code")),
        indicator_code=_optional_str(followup.get("indicator_code")),
        completed_at=_parse_time(ctx.event["time"]),
    ))
