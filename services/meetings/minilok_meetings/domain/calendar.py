"""Working days in Indonesia: weekends, national holidays and cuti bersama (the `holidays`
package's `public` and `government` categories), plus a puskesmas's own extra days off."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
TIMEZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    calendar = holidays.Indonesia(years=year, categories=("public", "government"))
    return frozenset(calendar.keys())


class WorkingCalendar:
    def __init__(self, extra_holidays: Iterable[date | str] = ()):
        self.extra = frozenset(date.fromisoformat(d) if isinstance(d, str) else d for d in extra_holidays)

    # Equal calendars are interchangeable (lets timelines be cached per calendar).
    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkingCalendar) and other.extra == self.extra

    def __hash__(self) -> int:
        return hash(self.extra)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in national_holidays(day.year) and day not in self.extra

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself does not count)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        if days == 0:
            while not self.is_working_day(current):
                current += timedelta(days=1)
        return current


def end_of_local_day(day: date, tz: str) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=ZoneInfo(tz))


def add_working_days_to_time(moment: datetime, days: int, tz: str, calendar: WorkingCalendar) -> datetime:
    """Shift an aware time by `days` working days in the puskesmas's timezone, keeping its local
    clock time (a step "3 working days after due" lands at the same local time)."""
    local = moment.astimezone(ZoneInfo(tz))
    target = calendar.add_working_days(local.date(), days) if days else local.date()
    return datetime.combine(target, local.timetz().replace(tzinfo=None), tzinfo=ZoneInfo(tz))
