from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from minilok_meetings.domain.calendar import WorkingCalendar, add_working_days_to_time, end_of_local_day
from minilok_meetings.domain.followup import resolve_due_at

calendar = WorkingCalendar()


def test_weekends_and_national_holidays_are_not_working_days():
    assert calendar.is_working_day(date(2026, 2, 18))  # Wednesday
    assert not calendar.is_working_day(date(2026, 2, 21))  # Saturday
    assert not calendar.is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan
    assert not calendar.is_working_day(date(2026, 2, 16))  # cuti bersama Imlek


def test_working_days_skip_idul_fitri_2026_and_its_cuti_bersama():
    # Idul Fitri 1447 H: 21-22 March 2026, cuti bersama 20, 23 and 24 March; 19 March is Nyepi.
    assert calendar.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert calendar.add_working_days(date(2026, 3, 16), 3) == date(2026, 3, 26)


def test_working_days_cross_the_year_end():
    # 24-25 Dec 2026 are off; 31 Dec is a Thursday, 1 Jan a holiday, then a weekend.
    assert calendar.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_zero_working_days_means_today_or_the_next_working_day():
    assert calendar.add_working_days(date(2026, 2, 18), 0) == date(2026, 2, 18)
    assert calendar.add_working_days(date(2026, 2, 21), 0) == date(2026, 2, 23)


def test_a_puskesmas_can_add_its_own_days_off():
    local = WorkingCalendar(["2026-02-19"])
    assert calendar.add_working_days(date(2026, 2, 18), 1) == date(2026, 2, 19)
    assert local.add_working_days(date(2026, 2, 18), 1) == date(2026, 2, 20)


@pytest.mark.parametrize("tz, utc_hour", [("Asia/Jakarta", 16), ("Asia/Makassar", 15), ("Asia/Jayapura", 14)])
def test_a_due_date_ends_at_23_59_59_local_time(tz, utc_hour):
    due = resolve_due_at(tz=tz, counted_from=datetime(2026, 2, 18, tzinfo=UTC), calendar=calendar,
                         due_date=date(2026, 2, 20))
    assert due.astimezone(UTC) == datetime(2026, 2, 20, utc_hour, 59, 59, tzinfo=UTC)


def test_working_days_count_from_the_meeting_s_local_date():
    # A meeting at 16:30 UTC on Friday 20 Feb is already on Saturday 01:30 in Jayapura (WIT, +09).
    meeting_at = datetime(2026, 2, 20, 16, 30, tzinfo=UTC)
    jakarta = resolve_due_at(tz="Asia/Jakarta", counted_from=meeting_at, calendar=calendar, due_in_working_days=1)
    jayapura = resolve_due_at(tz="Asia/Jayapura", counted_from=meeting_at, calendar=calendar, due_in_working_days=1)
    assert jakarta == end_of_local_day(date(2026, 2, 23), "Asia/Jakarta")
    assert jayapura == end_of_local_day(date(2026, 2, 23), "Asia/Jayapura")
    jakarta_fri_morning = resolve_due_at(tz="Asia/Jakarta", counted_from=datetime(2026, 2, 20, 1, tzinfo=UTC),
                                         calendar=calendar, due_in_working_days=1)
    assert jakarta_fri_morning.date() == date(2026, 2, 23)


def test_shifting_a_time_by_working_days_keeps_the_local_clock():
    due = datetime(2026, 3, 17, 23, 59, 59, tzinfo=ZoneInfo("Asia/Makassar"))
    shifted = add_working_days_to_time(due, 3, "Asia/Makassar", calendar)
    assert shifted == datetime(2026, 3, 27, 23, 59, 59, tzinfo=ZoneInfo("Asia/Makassar"))
