"""The iCalendar invitation of a meeting, parsed back: every property, the local zone (WIB, WITA,
WIT) carried by its own VTIMEZONE, a UID that stays and a SEQUENCE that follows the meeting, the
cancellation, attendees by name, and text that needs escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from minilok_shared.ics import meeting_invitation, meeting_uid

NOW = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def meeting(**changes) -> dict:
    data = {
        "id": 5, "puskesmas_id": 2, "puskesmas_name": "Puskesmas Baru Tengah",
        "kind": "quarterly_cross_sector", "title": "Lokakarya mini lintas sektor triwulan II",
        "scheduled_at": "2026-05-20T01:00:00+00:00", "location": "Aula Kelurahan Baru Tengah",
        "status": "scheduled", "timezone": "Asia/Makassar", "invited_agency_ids": [17, 18],
        "invited_agencies": [{"id": 17, "name": "Kelurahan Baru Tengah"}, {"id": 18, "name": "PKK Baru Tengah"}],
        "url": "https://minilok.example.id/meetings/5", "sequence": 0,
    }
    data.update(changes)
    return data


def parse(raw: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(raw)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_a_request_carries_every_property():
    calendar, event = parse(meeting_invitation(meeting(sequence=3), "REQUEST", "tu@pkm-barutengah.go.id", now=NOW))
    assert str(calendar["PRODID"]) == "-//Minilok//Lokakarya Mini//ID"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "minilok-meeting-5@minilok.example.id"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["SUMMARY"]) == "Lokakarya mini lintas sektor triwulan II"
    assert str(event["LOCATION"]) == "Aula Kelurahan Baru Tengah"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == "https://minilok.example.id/meetings/5"
    description = str(event["DESCRIPTION"])
    assert "Puskesmas Baru Tengah" in description
    assert "https://minilok.example.id/meetings/5" in description
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:tu@pkm-barutengah.go.id"
    assert organizer.params["CN"] == "Puskesmas Baru Tengah"
    attendees = event["ATTENDEE"]
    assert [a.params["CN"] for a in attendees] == ["Kelurahan Baru Tengah", "PKK Baru Tengah"]
    assert [str(a) for a in attendees] == ["urn:minilok:agency:17", "urn:minilok:agency:18"]
    assert all(a.params["ROLE"] == "REQ-PARTICIPANT" for a in attendees)


@pytest.mark.parametrize(("zone", "name", "local_hour"), [
    ("Asia/Jakarta", "WIB", 8), ("Asia/Makassar", "WITA", 9), ("Asia/Jayapura", "WIT", 10),
])
def test_the_start_is_in_the_puskesmas_zone_and_its_vtimezone_says_the_same(zone, name, local_hour):
    raw = meeting_invitation(meeting(timezone=zone), "REQUEST", now=NOW)
    assert f"DTSTART;TZID={zone}:20260520T{local_hour:02d}0000".encode() in raw
    calendar, event = parse(raw)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime(2026, 5, 20, 1, 0, tzinfo=UTC)
    assert (start.hour, end - start) == (local_hour, timedelta(hours=2))
    # A calendar that does not know the IANA name reads the zone from the file itself.
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == zone
    [standard] = vtimezone.walk("STANDARD")
    assert str(standard["TZNAME"]) == name
    offset = ZoneInfo(zone).utcoffset(datetime(2026, 5, 20))
    assert standard.decoded("TZOFFSETTO") == offset
    from_file = vtimezone.to_tz()
    assert datetime(2026, 5, 20, local_hour, 0, tzinfo=from_file).astimezone(UTC) == start


def test_the_uid_stays_and_the_sequence_follows_the_meeting():
    first = parse(meeting_invitation(meeting(sequence=0), "REQUEST", now=NOW))[1]
    moved = parse(meeting_invitation(meeting(sequence=1, scheduled_at="2026-05-21T02:00:00+00:00",
                                             location="Kantor Camat"), "REQUEST", now=NOW))[1]
    assert str(first["UID"]) == str(moved["UID"]) == meeting_uid(5, "https://minilok.example.id/x")
    assert (first.decoded("SEQUENCE"), moved.decoded("SEQUENCE")) == (0, 1)
    assert moved.decoded("DTSTART") == datetime(2026, 5, 21, 2, 0, tzinfo=UTC)
    assert str(moved["LOCATION"]) == "Kantor Camat"


def test_a_cancellation_says_cancel_with_the_same_uid_and_the_reason():
    cancelled = meeting(sequence=2, status="cancelled", cancel_reason="Bentrok dengan Musrenbang kecamatan")
    calendar, event = parse(meeting_invitation(cancelled, "CANCEL", now=NOW))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "minilok-meeting-5@minilok.example.id"
    assert event.decoded("SEQUENCE") == 2
    assert "Bentrok dengan Musrenbang kecamatan" in str(event["DESCRIPTION"])


def test_duration_minutes_sets_the_end_and_a_missing_location_is_left_out():
    event = parse(meeting_invitation(meeting(duration_minutes=90, location=None), "REQUEST", now=NOW))[1]
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert "LOCATION" not in event


def test_without_an_organizer_email_the_puskesmas_is_named_by_an_urn_and_known_emails_are_kept():
    agencies = [{"id": 17, "name": "Kelurahan Baru Tengah", "email": "kel.barutengah@balikpapan.go.id"}]
    event = parse(meeting_invitation(meeting(invited_agencies=agencies), "REQUEST", now=NOW))[1]
    assert str(event["ORGANIZER"]) == "urn:minilok:puskesmas:2"
    assert event["ORGANIZER"].params["CN"] == "Puskesmas Baru Tengah"
    attendee = event["ATTENDEE"]  # one attendee: a single property, not a list
    assert str(attendee) == "mailto:kel.barutengah@balikpapan.go.id"


def test_text_with_commas_semicolons_quotes_and_newlines_survives_the_round_trip():
    title = 'Rapat; "RTL" DBD, TB\nlanjutan'
    name = 'RT 05; RW 02, "Mawar"'
    raw = meeting_invitation(meeting(title=title, location="Jl. A, No. 5; lt. 2",
                                     invited_agencies=[{"id": 9, "name": name}]), "REQUEST", now=NOW)
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    event = parse(raw)[1]
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == "Jl. A, No. 5; lt. 2"
    assert event["ATTENDEE"].params["CN"] == name


def test_a_naive_time_is_read_as_utc_and_an_unknown_method_is_refused():
    event = parse(meeting_invitation(meeting(scheduled_at="2026-05-20T01:00:00"), "REQUEST", now=NOW))[1]
    assert event.decoded("DTSTART") == datetime(2026, 5, 20, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        meeting_invitation(meeting(), "PUBLISH")  # type: ignore[arg-type]
