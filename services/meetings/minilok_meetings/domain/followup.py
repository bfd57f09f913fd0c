"""Follow-up (RTL) rules: when it is due, and which status moves are legal."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from minilok_meetings.domain.calendar import WorkingCalendar, end_of_local_day

STATUSES = ("open", "in_progress", "done", "cancelled")
ACTIVE = ("open", "in_progress")

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "start": (("open",), "in_progress"),
    "complete": (("open", "in_progress"), "done"),  # a one-tap "Selesai" needs no separate start
    "cancel": (("open", "in_progress"), "cancelled"),
    "reopen": (("done", "cancelled"), "open"),
}


class IllegalTransition(Exception):
    def __init__(self, action: str, status: str):
        allowed = ", ".join(TRANSITIONS[action][0])
        super().__init__(
            f"Tidak bisa '{action}' dari status '{status}' (hanya dari: {allowed}) / "
            f"cannot {action} a follow-up that is {status} (only from: {allowed})"
        )
        self.action, self.status = action, status


def next_status(status: str, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise IllegalTransition(action, status)
    return target


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    return status in ACTIVE and due_at < now


def resolve_due_at(
    *,
    tz: str,
    counted_from: datetime,
    calendar: WorkingCalendar,
    due_date: date | None = None,
    due_at: datetime | None = None,
    due_in_working_days: int | None = None,
) -> datetime:
    """Exactly one of the three is given (the API checks). A date means the end of that day in
    the puskesmas's timezone; working days count from the local date of `counted_from` (the
    meeting's time: minutes typed a week late keep the agreed deadline) and end at the end of the day."""
    if due_at is not None:
        return due_at
    if due_date is not None:
        return end_of_local_day(due_date, tz)
    assert due_in_working_days is not None
    start = counted_from.astimezone(ZoneInfo(tz)).date()
    return end_of_local_day(calendar.add_working_days(start, due_in_working_days), tz)
