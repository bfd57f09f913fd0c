"""Which calendar method an email about a meeting carries, per reader: REQUEST to those invited,
CANCEL for a cancelled meeting and for the agency a `meeting.updated` takes off the list (same UID,
the event's SEQUENCE, the agency taken off as the one attendee); the WhatsApp template says so too."""

from __future__ import annotations

import json

import pytest
from icalendar import Calendar
from minilok_notifications.channels import Message
from minilok_notifications.channels.email import EmailChannel
from minilok_notifications.channels.whatsapp_cloud import template_payload
from minilok_notifications.config import NotificationsSettings

BASE = "https://minilok.example"
STAYS, GONE, OTHER = 20, 21, 22


def settings(**extra) -> NotificationsSettings:
    return NotificationsSettings(MINILOK_PUBLIC_URL=BASE, SMTP_FROM="Minilok <undangan@minilok.example>", **extra)


def event(type_="meeting.updated", uninvited=True, **changes) -> dict:
    meeting = {"id": 3, "puskesmas_id": 1, "puskesmas_name": "Puskesmas Baloi Permai", "kind": "monthly_internal",
               "title": "Lokakarya Mini Bulanan Mei 2026", "scheduled_at": "2026-05-20T02:00:00+00:00",
               "location": "Aula Puskesmas", "status": "scheduled", "timezone": "Asia/Jakarta", "sequence": 4,
               "invited_agency_ids": [STAYS], "invited_agencies": [{"id": STAYS, "name": "Kelurahan Baloi Permai"}],
               "url": f"{BASE}/meetings/3", **changes}
    if uninvited:
        meeting |= {"uninvited_agency_ids": [GONE], "uninvited_agencies": [{"id": GONE, "name": "Babinsa Baloi"}]}
    return {"specversion": "1.0", "id": "ev-1", "source": "/meetings", "type": type_, "subject": "3",
            "time": "2026-05-04T02:00:00Z", "datacontenttype": "application/json", "data": {"meeting": meeting}}


def vevent(raw: bytes):
    (found,) = Calendar.from_ical(raw).walk("VEVENT")
    return found


def attendees(found) -> list[str]:
    value = found.get("ATTENDEE")
    return [str(a.params["CN"]) for a in (value if isinstance(value, list) else [value] if value else [])]


def test_the_agency_taken_off_gets_a_cancel_with_the_same_uid_and_the_events_sequence():
    method, raw = EmailChannel(settings()).invitation(event(), GONE)
    assert method == "CANCEL" and b"METHOD:CANCEL" in raw
    found = vevent(raw)
    assert str(found["UID"]) == "minilok-meeting-3@minilok.example" and int(found["SEQUENCE"]) == 4
    assert str(found["STATUS"]) == "CANCELLED" and attendees(found) == ["Babinsa Baloi"]


@pytest.mark.parametrize("agency_id", [STAYS, OTHER, None])
def test_everyone_else_gets_the_request(agency_id):
    method, raw = EmailChannel(settings()).invitation(event(), agency_id)
    found = vevent(raw)
    assert method == "REQUEST" and str(found["STATUS"]) == "CONFIRMED" and int(found["SEQUENCE"]) == 4
    assert attendees(found) == ["Kelurahan Baloi Permai"]


def test_the_same_agency_gets_a_request_when_the_event_does_not_take_it_off():
    assert EmailChannel(settings()).invitation(event(uninvited=False), GONE)[0] == "REQUEST"
    # Only a meeting.updated takes an agency off; other types keep their own method.
    assert EmailChannel(settings()).invitation(event("meeting.scheduled"), GONE)[0] == "REQUEST"
    assert EmailChannel(settings()).invitation(event("meeting.cancelled", status="cancelled"), STAYS)[0] == "CANCEL"
    assert EmailChannel(settings()).invitation(event("meeting.minutes_published"), GONE) is None


def test_the_whatsapp_template_tells_the_agency_taken_off_its_invitation_is_withdrawn():
    def params(agency_id):
        msg = Message(delivery_id=1, message_id="m1", subscription_id=1, channel="whatsapp", target="+6281234567890",
                      language="id", timezone="Asia/Jakarta", body=json.dumps(event()), agency_id=agency_id)
        payload = template_payload(msg, settings(WHATSAPP_GATEWAY_FORMAT="cloud_api"), "x")
        (body,) = [c for c in payload["template"]["components"] if c["type"] == "body"]
        return [p["text"] for p in body["parameters"]]

    gone, stays = params(GONE), params(STAYS)
    assert gone[0] == "Undangan dibatalkan" and gone[-1] == BASE  # its page is for those still invited
    assert stays[0] == "Lokakarya mini diperbarui" and stays[-1] == f"{BASE}/meetings/3"
