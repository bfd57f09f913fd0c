"""When a new delivery may go out: at once, after the subscriber's quiet hours, or with the
daily digest at 07:00 local time; urgent events always at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DIGEST_AT = time(7, 0)
# An escalation this high (by default the puskesmas head and the dinas kesehatan) cannot wait for the morning.
URGENT_ESCALATION_LEVEL = 3


def is_urgent(event: dict[str, Any]) -> bool:
    """An escalation to level 3 or more, or any event its source marked `data.urgent: true`."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    if data.get("urgent") is True:
        return True
    followup = data.get("followup") if isinstance(data.get("followup"), dict) else {}
    level = followup.get("escalation_level")
    return (event.get("type") == "followup.escalated" and isinstance(level, int) and not isinstance(level, bool)
            and level >= URGENT_ESCALATION_LEVEL)


def parse_clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _next_at(local: datetime, at: time) -> datetime:
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


def in_quiet_hours(local: datetime, start: time, end: time) -> bool:
    now = local.time()
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # spans midnight, e.g. 21:00-06:00


def release_time(now: datetime, *, tz: str, digest: str = "immediate",
                 quiet_hours: dict[str, Any] | None = None, urgent: bool = False) -> datetime | None:
    """None: send now. Otherwise the UTC-aware time the delivery is held until. An urgent event
    passes quiet hours and the digest (it is sent alone, not gathered)."""
    if urgent:
        return None
    local = now.astimezone(ZoneInfo(tz))
    when = _next_at(local, DIGEST_AT) if digest == "daily" else local
    if quiet_hours:
        start, end = parse_clock(quiet_hours["start"]), parse_clock(quiet_hours["end"])
        if in_quiet_hours(when, start, end):
            when = _next_at(when, end)
    if when == local:
        return None
    return when.astimezone(now.tzinfo)
