"""Quiet hours and the daily digest, counted in the subscriber's local time; urgent events pass both."""

from datetime import UTC, datetime

import pytest
from minilok_notifications.domain.schedule import is_urgent, release_time

QUIET = {"start": "21:00", "end": "06:00"}


def utc(h, m=0, day=20):
    return datetime(2026, 2, day, h, m, tzinfo=UTC)


def test_outside_quiet_hours_sends_now():
    assert release_time(utc(5), tz="Asia/Jakarta", quiet_hours=QUIET) is None  # 12:00 WIB


def test_inside_quiet_hours_holds_until_they_end():
    # 15:00 UTC = 22:00 WIB; held until 06:00 WIB next day = 23:00 UTC.
    assert release_time(utc(15), tz="Asia/Jakarta", quiet_hours=QUIET) == utc(23)
    # 20:00 UTC = 03:00 WIB next day; held until 06:00 WIB that day = 23:00 UTC.
    assert release_time(utc(20), tz="Asia/Jakarta", quiet_hours=QUIET) == utc(23)


def test_quiet_hours_use_the_local_timezone():
    # 13:00 UTC = 22:00 WIT (Jayapura) but 20:00 WIB.
    assert release_time(utc(13), tz="Asia/Jayapura", quiet_hours=QUIET) is not None
    assert release_time(utc(13), tz="Asia/Jakarta", quiet_hours=QUIET) is None


def test_daily_digest_waits_for_seven_local():
    # 05:00 UTC = 12:00 WIB; next 07:00 WIB is 00:00 UTC the next day.
    assert release_time(utc(5), tz="Asia/Jakarta", digest="daily") == utc(0, day=21)
    # 23:30 UTC = 06:30 WIB; 07:00 WIB is half an hour later.
    assert release_time(utc(23, 30), tz="Asia/Jakarta", digest="daily") == utc(0, day=21)


def escalated(level, type_="followup.escalated", **data):
    return {"type": type_, "data": {"followup": {"id": 1, "escalation_level": level}, **data}}


@pytest.mark.parametrize("event,expected", [
    (escalated(3), True), (escalated(4), True), (escalated(2), False), (escalated(0), False),
    (escalated(3, type_="followup.overdue"), False),  # level 3 reached earlier: a later overdue is no escalation
    (escalated("3"), False), (escalated(True), False), (escalated(None), False),
    (escalated(1, urgent=True), True), (escalated(1, type_="followup.updated", urgent=True), True),
    ({"type": "meeting.cancelled", "data": {"meeting": {"id": 1}, "urgent": True}}, True),
    (escalated(1, urgent="yes"), False), (escalated(1, urgent=False), False),
    ({"type": "followup.escalated", "data": None}, False), ({"type": "followup.escalated"}, False),
])
def test_what_is_urgent(event, expected):
    assert is_urgent(event) is expected


def test_urgent_passes_quiet_hours():
    # 15:00 UTC = 22:00 WIB, inside 21:00-06:00: held, unless urgent.
    assert release_time(utc(15), tz="Asia/Jakarta", quiet_hours=QUIET) == utc(23)
    assert release_time(utc(15), tz="Asia/Jakarta", quiet_hours=QUIET, urgent=True) is None


def test_urgent_passes_the_daily_digest():
    assert release_time(utc(5), tz="Asia/Jakarta", digest="daily", quiet_hours=QUIET, urgent=True) is None
