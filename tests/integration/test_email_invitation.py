"""An email about a meeting carries its iCalendar invitation, as calendars expect one: received by
a real SMTP server (aiosmtpd), parsed back, the calendar part (a text/calendar alternative with
its method) and the invite.ics attachment; one UID for the meeting's life, SEQUENCE raised on each
change, METHOD:CANCEL and STATUS:CANCELLED when it is cancelled, the time in the puskesmas zone."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import yaml
from aiosmtpd.controller import Controller
from icalendar import Calendar
from minilok_notifications.channels.messages import render
from readable import problems
from support import free_port
from test_notifications_channels import SmtpSink, deliver_event
from test_notifications_support import notifications_client, token

ADMIN = token("admin")
BASE = "https://minilok.example"


@pytest.fixture
def smtp():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.url = f"smtp://127.0.0.1:{controller.port}"
    yield sink
    controller.stop()


@pytest.fixture
def client(monkeypatch, database_url, smtp):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True), SMTP_URL=smtp.url,
                              MINILOK_PUBLIC_URL=BASE, SMTP_FROM="Minilok <undangan@minilok.example>") as c:
        yield c


def meeting_event(type_: str, sequence: int, **changes) -> dict:
    meeting = {"id": 3, "puskesmas_id": 1, "puskesmas_name": "Puskesmas Baloi Permai",
               "kind": "quarterly_cross_sector", "title": "Lokakarya Mini Lintas Sektor Triwulan II 2026",
               "scheduled_at": "2026-05-20T02:00:00+00:00", "location": "Aula Kecamatan Batam Kota",
               "status": "scheduled", "timezone": "Asia/Jakarta", "sequence": sequence,
               "invited_agency_ids": [10], "invited_agencies": [{"id": 10, "name": "Kecamatan Batam Kota"}],
               "url": f"{BASE}/meetings/3", **changes}
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/meetings", "type": type_, "subject": "3",
            "time": "2026-05-04T02:00:00Z", "datacontenttype": "application/json", "puskesmasid": "1",
            "data": {"meeting": meeting}}


def calendar_parts(mail):
    """(the text/calendar alternative, the invite.ics attachment), each parsed."""
    alternative = next(p for p in mail.walk() if p.get_content_type() == "multipart/alternative")
    inline = [p for p in alternative.iter_parts() if p.get_content_type() == "text/calendar"]
    attached = [p for p in mail.iter_attachments() if p.get_filename() == "invite.ics"]
    assert len(inline) == 1 and len(attached) == 1, [p.get_content_type() for p in mail.walk()]
    return inline[0], Calendar.from_ical(inline[0].get_content()), Calendar.from_ical(attached[0].get_content())


def subscribe(client):
    r = client.post("/api/v1/subscriptions", headers=ADMIN, json={
        "agency_id": 10, "event_types": ["meeting.*"], "channel": "email", "target": "camat@example.org",
        "filters": {"puskesmas_id": 1}})
    assert r.status_code == 201, r.text


def test_invitation_update_and_cancellation_reach_the_calendar(client, smtp):
    subscribe(client)
    assert deliver_event(client, meeting_event("meeting.scheduled", 0)) == ["delivered"]
    assert deliver_event(client, meeting_event("meeting.updated", 1, scheduled_at="2026-05-21T01:30:00+00:00",
                                               location="Aula Puskesmas Baloi Permai")) == ["delivered"]
    assert deliver_event(client, meeting_event("meeting.cancelled", 2, status="cancelled",
                                               cancel_reason="Bertepatan dengan kunjungan Wali Kota")) == ["delivered"]
    invited, moved, cancelled = smtp.messages

    seen = []
    for mail, method, sequence, start in ((invited, "REQUEST", 0, datetime(2026, 5, 20, 9, 0)),
                                          (moved, "REQUEST", 1, datetime(2026, 5, 21, 8, 30)),
                                          (cancelled, "CANCEL", 2, datetime(2026, 5, 20, 9, 0))):
        assert mail.get_content_type() == "multipart/mixed"
        part, inline, attached = calendar_parts(mail)
        assert part.get_param("method") == method
        assert inline.to_ical() == attached.to_ical()
        assert inline["METHOD"] == method
        (vevent,) = inline.walk("VEVENT")
        assert int(vevent["SEQUENCE"]) == sequence
        dtstart = vevent.decoded("DTSTART")
        assert dtstart.replace(tzinfo=None) == start and dtstart.utcoffset() == ZoneInfo("Asia/Jakarta").utcoffset(
            start)
        assert vevent["DTSTART"].params["TZID"] == "Asia/Jakarta"
        assert str(vevent["ORGANIZER"]) == "mailto:undangan@minilok.example"
        seen.append((str(vevent["UID"]), str(vevent["STATUS"])))
        # The email itself still reads as a person would write it.
        text = mail.get_body(("plain",)).get_content()
        assert "Puskesmas Baloi Permai" in text and "#" not in text and "T02:00" not in text
    assert len({uid for uid, _ in seen}) == 1 and seen[0][0] == "minilok-meeting-3@minilok.example"
    assert [status for _, status in seen] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]

    assert invited["Subject"] == ("[Minilok] Undangan: Lokakarya Mini Lintas Sektor Triwulan II 2026, "
                                  "Rabu, 20 Mei 2026 09.00 WIB")
    assert "Kamis, 21 Mei 2026 08.30 WIB di Aula Puskesmas Baloi Permai" in moved.get_body(("plain",)).get_content()
    assert "Alasan: Bertepatan dengan kunjungan Wali Kota" in cancelled.get_body(("plain",)).get_content()


def test_minutes_and_follow_up_emails_carry_no_calendar(client, smtp):
    subscribe(client)
    assert deliver_event(client, meeting_event("meeting.minutes_published", 0)) == ["delivered"]
    (mail,) = smtp.messages
    assert not [p for p in mail.walk() if p.get_content_type() in ("text/calendar", "application/ics")]
    assert mail.get_content_type() == "multipart/alternative"


def test_an_old_event_without_url_or_sequence_still_gets_a_stable_uid(client, smtp):
    subscribe(client)
    event = meeting_event("meeting.scheduled", 0)
    for key in ("url", "sequence", "timezone", "invited_agencies", "puskesmas_name"):
        event["data"]["meeting"].pop(key)
    assert deliver_event(client, event) == ["delivered"]
    _, inline, _ = calendar_parts(smtp.messages[0])
    (vevent,) = inline.walk("VEVENT")
    assert str(vevent["UID"]) == "minilok-meeting-3@minilok.example" and int(vevent["SEQUENCE"]) == 0


def test_an_agency_taken_off_the_list_gets_the_cancellation_the_others_the_update(service_api, monkeypatch, smtp):
    """Through both services: invite A and B, PUT [A]; the meetings service's own events fed to the
    notifications service as its consumer would, the emails received by a real SMTP server. B's
    calendar drops the meeting (METHOD:CANCEL, same UID), A's takes the raised SEQUENCE."""
    from test_delivery_controls import record, send
    from test_meetings_followups import outbox_events, setup_puskesmas

    monkeypatch.setenv("SMTP_URL", smtp.url)
    monkeypatch.setenv("SMTP_FROM", "Minilok <undangan@minilok.example>")
    monkeypatch.setenv("MINILOK_PUBLIC_URL", BASE)
    meetings = service_api("meetings")
    ids = setup_puskesmas(meetings)
    notifications = service_api("notifications")
    a, b = ids["kelurahan"], ids["kecamatan"]
    for agency, target in ((a, "lurah@example.org"), (b, "camat@example.org")):
        r = notifications.post("/api/v1/subscriptions", headers=notifications.headers("agency", agency_id=agency),
                               json={"event_types": ["meeting.*"], "channel": "email", "target": target})
        assert r.status_code == 201, r.text
    r = meetings.post("/api/v1/meetings", json={
        "puskesmas_id": ids["puskesmas"], "kind": "quarterly_cross_sector", "title": "Minilok triwulan I 2026",
        "scheduled_at": "2026-03-18T09:00:00+08:00", "location": "Aula Kelurahan Baru Tengah",
        "invited_agency_ids": [a, b]})
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = meetings.put(f"/api/v1/meetings/{mid}/invitations", json=[a])
    assert r.status_code == 200 and r.json()["sequence"] == 1, r.text
    # Afterwards B hears nothing more of the meeting: a move reaches A alone.
    assert meetings.patch(f"/api/v1/meetings/{mid}", json={"location": "Kantor Lurah"}).status_code == 200

    events = [e for e in outbox_events(meetings)
              if e["type"].startswith("meeting.") and e["data"]["meeting"]["id"] == mid]
    assert [e["type"] for e in events] == ["meeting.scheduled", "meeting.updated", "meeting.updated"]
    reinvited = events[1]["data"]["meeting"]
    assert reinvited["invited_agency_ids"] == [a] and reinvited["uninvited_agency_ids"] == [b]
    assert reinvited["uninvited_agencies"] == [{"id": b, "name": "Kecamatan Balikpapan Barat"}]
    # As docs/asyncapi.yaml says (with the new fields declared, typed, their names as AgencyRef).
    document = yaml.safe_load((Path(__file__).parents[2] / "docs" / "asyncapi.yaml").read_text())
    meeting_schema = {**document, "$ref": "#/components/schemas/Meeting",
                      "properties": {"uninvited_agency_ids": {"items": {"type": "integer"}},
                                     "uninvited_agencies": {"items": {"required": ["id", "name"]}}}}
    assert {"uninvited_agency_ids", "uninvited_agencies"} <= document["components"]["schemas"]["Meeting"][
        "properties"].keys()
    jsonschema.validate(reinvited, meeting_schema, cls=jsonschema.Draft202012Validator)
    assert "uninvited_agency_ids" not in events[0]["data"]["meeting"]
    assert "uninvited_agency_ids" not in events[2]["data"]["meeting"]

    sent_before = 0
    received = []
    for event in events:
        for delivery_id in record(notifications.client, event):
            assert send(notifications.client, delivery_id) == "delivered"
        received.append(smtp.messages[sent_before:])
        sent_before = len(smtp.messages)
    scheduled, reinvite, moved = received
    assert sorted(m["To"] for m in scheduled) == ["camat@example.org", "lurah@example.org"]
    assert [m["To"] for m in moved] == ["lurah@example.org"]
    by_target = {m["To"]: m for m in reinvite}
    assert sorted(by_target) == ["camat@example.org", "lurah@example.org"]

    uid = f"minilok-meeting-{mid}@minilok.example"
    part, inline, attached = calendar_parts(by_target["camat@example.org"])
    assert part.get_param("method") == "CANCEL" and inline["METHOD"] == "CANCEL"
    assert inline.to_ical() == attached.to_ical()
    (vevent,) = inline.walk("VEVENT")
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 1 and str(vevent["STATUS"]) == "CANCELLED"
    # The cancellation names the agency taken off, not those still invited.
    assert [a.params["CN"] for a in _attendees(vevent)] == ["Kecamatan Balikpapan Barat"]
    text = by_target["camat@example.org"].get_body(("plain",)).get_content()
    assert "Undangan Minilok triwulan I 2026" in text and "untuk lembaga Bapak/Ibu dibatalkan" in text
    assert "Lembaga yang diundang" not in text  # who is still invited is not its business
    for language in ("id", "en"):  # the real event, as B reads it: words, no ids or ISO times
        rendered = render(events[1], language, "Asia/Jakarta", BASE, agency_id=b)
        for part in (rendered.subject, rendered.text, rendered.short, rendered.html):
            assert problems(part, events[1], language) == [], (language, part)

    part, inline, _ = calendar_parts(by_target["lurah@example.org"])
    assert part.get_param("method") == "REQUEST" and inline["METHOD"] == "REQUEST"
    (vevent,) = inline.walk("VEVENT")
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 1 and str(vevent["STATUS"]) == "CONFIRMED"
    assert "dibatalkan" not in by_target["lurah@example.org"].get_body(("plain",)).get_content()
    _, first, _ = calendar_parts(next(m for m in scheduled if m["To"] == "camat@example.org"))
    assert int(next(iter(first.walk("VEVENT")))["SEQUENCE"]) == 0


def _attendees(vevent) -> list:
    found = vevent.get("ATTENDEE")
    return found if isinstance(found, list) else [found] if found is not None else []
