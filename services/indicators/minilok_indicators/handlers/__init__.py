"""What the indicators service does with each incoming event (`minilok consume indicators`)."""

from __future__ import annotations

from datetime import datetime

from minilok_shared.events.consumer import HandlerContext, Handlers
from minilok_shared.events.envelope import InvalidEvent

from minilok_indicators.service_layer import completions

handlers = Handlers()


def _event_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError) as exc:
        raise InvalidEvent(f"event time {text!r} is not ISO 8601") from exc
    if moment.tzinfo is None:
        raise InvalidEvent(f"event time {text!r} has no offset")
    return moment


@handlers.on("followup.completed")
def followup_completed(ctx: HandlerContext) -> None:
    followup = ctx.data.get("followup")
    if not isinstance(followup, dict) or followup.get("id") is None:
        raise InvalidEvent("followup.completed without data.followup.id")
    completions.record_completion(ctx.session, ctx.event["id"], followup, _event_time(ctx.event["time"]),
                                  puskesmas_id=ctx.event.get("puskesmasid"))
