"""Quiet hours and the daily digest, counted in the subscriber's local time."""

from datetime import UTC, datetime

from minilok_notifications.domain.schedule import release_time

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
