"""Meeting invitations through the meetings API on a real database: invite on creation, replace the
list, move or retitle, cancel with a reason (each raising SEQUENCE and emitting its event), the
409s and 422s, who may read (an invited agency too), and the .ics the calendar gets."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from tests.integration.test_meetings_followups import new_followup, outbox_events, setup_puskesmas

PUBLIC = "https://minilok.example.id"


@pytest.fixture
def world(service_api, monkeypatch):
    monkeypatch.setenv("MINILOK_PUBLIC_URL", PUBLIC)
    api = service_api("meetings")
    ids = setup_puskesmas(api)
    other = api.post("/api/v1/puskesmas", json={"code": "BP01", "name": "Puskesmas Baloi Permai",
                                                "timezone": "Asia/Jakarta", "area_code": "21.71.06",
                                                "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()
    ids["elsewhere"] = api.post("/api/v1/agencies", json={"name": "Kelurahan Baloi Permai", "kind": "kelurahan",
                                                          "puskesmas_id": other["id"]}).json()["id"]
    return api, ids


def create(api, ids, **fields):
    body = {"puskesmas_id": ids["puskesmas"], "kind": "quarterly_cross_sector", "title": "Minilok triwulan I 2026",
            "scheduled_at": "2026-03-18T09:00:00+08:00", "location": "Aula Kelurahan Baru Tengah", **fields}
    return api.post("/api/v1/meetings", json=body)


def meeting_events(api, meeting_id):
    return [e for e in outbox_events(api) if e["type"].startswith("meeting.") and e["subject"] == str(meeting_id)]


def test_invite_on_creation_then_replace_move_and_cancel_each_raising_the_sequence(world):
    api, ids = world
    r = create(api, ids, invited_agency_ids=[ids["kelurahan"], ids["dinkes"], ids["kelurahan"]])
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["status"] == "scheduled" and m["sequence"] == 0
    assert m["invited_agency_ids"] == sorted([ids["kelurahan"], ids["dinkes"]])  # once each; dinkes is shared
    assert {a["name"] for a in m["invited_agencies"]} == {"Kelurahan Baru Tengah", "Dinas Kesehatan Kota Balikpapan"}
    mid = m["id"]

    r = api.put(f"/api/v1/meetings/{mid}/invitations", json=[ids["kelurahan"], ids["kecamatan"], ids["rt"]])
    assert r.status_code == 200, r.text
    assert r.json()["invited_agency_ids"] == sorted([ids["kelurahan"], ids["kecamatan"], ids["rt"]])
    assert r.json()["sequence"] == 1
    # The same list again changes nothing: no event, no new sequence.
    r = api.put(f"/api/v1/meetings/{mid}/invitations", json=[ids["rt"], ids["kecamatan"], ids["kelurahan"]])
    assert r.status_code == 200 and r.json()["sequence"] == 1

    r = api.patch(f"/api/v1/meetings/{mid}", json={"scheduled_at": "2026-03-19T10:00:00+08:00",
                                                   "location": "Kantor Camat Balikpapan Barat"})
    assert r.status_code == 200, r.text
    assert r.json()["sequence"] == 2 and r.json()["location"] == "Kantor Camat Balikpapan Barat"
    assert datetime.fromisoformat(r.json()["scheduled_at"]) == datetime(2026, 3, 19, 2, 0, tzinfo=UTC)
    assert api.patch(f"/api/v1/meetings/{mid}", json={"location": "Kantor Camat Balikpapan Barat"}).json()[
        "sequence"] == 2  # nothing new
    r = api.patch(f"/api/v1/meetings/{mid}", json={"title": "Minilok lintas sektor triwulan I", "location": None})
    assert r.json()["sequence"] == 3 and r.json()["location"] is None

    r = api.post(f"/api/v1/meetings/{mid}/cancel", json={"reason": "Bentrok dengan Musrenbang kecamatan"})
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 4
    assert cancelled["cancel_reason"] == "Bentrok dengan Musrenbang kecamatan" and cancelled["cancelled_at"]

    events = meeting_events(api, mid)
    assert [e["type"] for e in events] == ["meeting.scheduled", "meeting.updated", "meeting.updated",
                                           "meeting.updated", "meeting.cancelled"]
    assert [e["data"]["meeting"]["sequence"] for e in events] == [0, 1, 2, 3, 4]
    first, last = events[0]["data"]["meeting"], events[-1]["data"]["meeting"]
    assert first["invited_agency_ids"] == sorted([ids["kelurahan"], ids["dinkes"]])
    assert first["puskesmas_name"] == "Puskesmas Baru Tengah" and first["timezone"] == "Asia/Makassar"
    assert first["url"] == f"{PUBLIC}/meetings/{mid}" and first["location"] == "Aula Kelurahan Baru Tengah"
    assert events[1]["data"]["meeting"]["invited_agency_ids"] == sorted([ids["kelurahan"], ids["kecamatan"],
                                                                         ids["rt"]])
    assert events[2]["data"]["meeting"]["scheduled_at"] == "2026-03-19T02:00:00+00:00"
    assert last["status"] == "cancelled" and last["cancel_reason"] == "Bentrok dengan Musrenbang kecamatan"
    assert "cancel_reason" not in first
    assert all(str(e["puskesmasid"]) == str(ids["puskesmas"]) for e in events)

    detail = api.get(f"/api/v1/meetings/{mid}").json()
    assert detail["sequence"] == 4 and detail["invited_agency_ids"] == last["invited_agency_ids"]
    assert [a["name"] for a in detail["invited_agencies"]] == [a["name"] for a in last["invited_agencies"]]


def test_a_published_or_cancelled_meeting_cannot_change(world):
    api, ids = world
    mid = create(api, ids).json()["id"]
    assert api.post(f"/api/v1/meetings/{mid}/cancel", json={"reason": "Banjir"}).status_code == 200
    for call in (lambda: api.post(f"/api/v1/meetings/{mid}/cancel", json={"reason": "lagi"}),
                 lambda: api.patch(f"/api/v1/meetings/{mid}", json={"title": "Baru"}),
                 lambda: api.put(f"/api/v1/meetings/{mid}/invitations", json=[ids["kelurahan"]]),
                 lambda: api.post(f"/api/v1/meetings/{mid}/minutes", json={"summary": "x", "decisions": []}),
                 lambda: api.post(f"/api/v1/meetings/{mid}/publish")):
        r = call()
        assert r.status_code == 409, r.text
        assert "dibatalkan" in r.json()["detail"]
    assert api.get(f"/api/v1/meetings/{mid}").json()["sequence"] == 1

    published = create(api, ids).json()["id"]
    api.post(f"/api/v1/meetings/{published}/minutes", json={"summary": "Ringkasan", "decisions": []})
    assert api.post(f"/api/v1/meetings/{published}/publish").status_code == 200
    assert api.patch(f"/api/v1/meetings/{published}", json={"title": "Baru"}).status_code == 409
    assert api.post(f"/api/v1/meetings/{published}/cancel", json={"reason": "x"}).status_code == 409
    assert api.put(f"/api/v1/meetings/{published}/invitations", json=[]).status_code == 409


def test_bad_input_is_422_naming_the_field(world):
    api, ids = world
    r = create(api, ids, invited_agency_ids=[ids["kelurahan"], ids["elsewhere"]])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "invited_agency_ids", 1], r.text
    r = create(api, ids, invited_agency_ids=[999_999])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "invited_agency_ids", 0]
    r = create(api, ids, invited_agency_ids=[ids["kelurahan"], 2**64])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "invited_agency_ids", 1]
    r = create(api, ids, invited_agency_ids="semua")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "invited_agency_ids"]
    mid = create(api, ids).json()["id"]
    r = api.put(f"/api/v1/meetings/{mid}/invitations", json=[ids["school"], ids["elsewhere"]])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", 1]
    r = api.put(f"/api/v1/meetings/{mid}/invitations", json=[2**63])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", 0]
    r = api.put(f"/api/v1/meetings/{mid}/invitations", json={"agency_ids": [1]})
    assert r.status_code == 422
    for body, field in (({}, "body"), ({"title": None}, "title"), ({"scheduled_at": None}, "scheduled_at"),
                        ({"scheduled_at": "besok"}, "scheduled_at"), ({"title": ""}, "title"),
                        ({"status": "published"}, "status")):
        r = api.patch(f"/api/v1/meetings/{mid}", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in str(r.json()["detail"]), (body, r.text)
    r = api.post(f"/api/v1/meetings/{mid}/cancel", json={"reason": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    assert api.post(f"/api/v1/meetings/{mid}/cancel", json={}).status_code == 422
    assert api.patch("/api/v1/meetings/987654", json={"title": "x"}).status_code == 404
    assert api.get(f"/api/v1/meetings/{mid}").json()["sequence"] == 0
    assert [e["type"] for e in meeting_events(api, mid)] == ["meeting.scheduled"]


def test_who_may_change_and_who_may_read_the_meeting_and_its_invitation(world):
    api, ids = world
    m = create(api, ids, invited_agency_ids=[ids["kelurahan"]]).json()
    mid = m["id"]
    mine = new_followup(api, {**ids, "meeting": mid})  # owned by the kelurahan
    others = new_followup(api, {**ids, "meeting": mid}, owner_agency_id=ids["rt"], supporting_agency_ids=[])
    own = api.headers("puskesmas", puskesmas_id=ids["puskesmas"])
    stranger = api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 1000)
    invited = api.headers("agency", agency_id=ids["kelurahan"])
    not_invited = api.headers("agency", agency_id=ids["school"])
    dinas = api.headers("dinas", area_code="64.71")
    assert api.patch(f"/api/v1/meetings/{mid}", headers=own, json={"title": "Minilok (revisi)"}).status_code == 200
    for headers in (stranger, invited, dinas):
        assert api.patch(f"/api/v1/meetings/{mid}", headers=headers, json={"title": "x"}).status_code == 403
        assert api.put(f"/api/v1/meetings/{mid}/invitations", headers=headers, json=[]).status_code == 403
        assert api.post(f"/api/v1/meetings/{mid}/cancel", headers=headers, json={"reason": "x"}).status_code == 403
    for headers in (own, invited, dinas):
        assert api.get(f"/api/v1/meetings/{mid}", headers=headers).status_code == 200
        assert api.get(f"/api/v1/meetings/{mid}/invitation.ics", headers=headers).status_code == 200
    for headers in (stranger, not_invited):
        assert api.get(f"/api/v1/meetings/{mid}", headers=headers).status_code == 403
        assert api.get(f"/api/v1/meetings/{mid}/invitation.ics", headers=headers).status_code == 403
    seen = api.get(f"/api/v1/meetings/{mid}", headers=invited).json()
    assert [f["id"] for f in seen["follow_ups"]] == [mine["id"]]  # not the RT's
    assert others["id"] in [f["id"] for f in api.get(f"/api/v1/meetings/{mid}", headers=own).json()["follow_ups"]]
    assert api.get("/api/v1/meetings/987654/invitation.ics").status_code == 404


def test_the_ics_is_a_request_until_cancelled_with_the_same_uid_and_the_new_sequence(world):
    api, ids = world
    r = api.post("/api/v1/agencies", json={"name": "Puskesmas Baru Tengah (TU)", "kind": "puskesmas",
                                           "puskesmas_id": ids["puskesmas"],
                                           "contacts": [{"name": "Tata Usaha", "email": "tu@pkm-barutengah.go.id"}]})
    assert r.status_code == 201, r.text
    mid = create(api, ids, invited_agency_ids=[ids["kelurahan"], ids["kecamatan"]]).json()["id"]
    r = api.get(f"/api/v1/meetings/{mid}/invitation.ics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar; method=REQUEST")
    assert "attachment" in r.headers["content-disposition"]
    calendar = Calendar.from_ical(r.content)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"minilok-meeting-{mid}@minilok.example.id"
    assert event.decoded("SEQUENCE") == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert b"DTSTART;TZID=Asia/Makassar:20260318T090000" in r.content
    assert event.decoded("DTSTART") == datetime(2026, 3, 18, 1, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Minilok triwulan I 2026"
    assert str(event["LOCATION"]) == "Aula Kelurahan Baru Tengah"
    assert str(event["ORGANIZER"]) == "mailto:tu@pkm-barutengah.go.id"
    assert event["ORGANIZER"].params["CN"] == "Puskesmas Baru Tengah"
    assert sorted(a.params["CN"] for a in event["ATTENDEE"]) == ["Kecamatan Balikpapan Barat",
                                                                 "Kelurahan Baru Tengah"]
    assert f"{PUBLIC}/meetings/{mid}" in str(event["DESCRIPTION"])

    api.patch(f"/api/v1/meetings/{mid}", json={"scheduled_at": "2026-03-19T13:30:00+08:00"})
    api.post(f"/api/v1/meetings/{mid}/cancel", json={"reason": "Bentrok dengan Musrenbang"})
    r = api.get(f"/api/v1/meetings/{mid}/invitation.ics")
    assert r.headers["content-type"].startswith("text/calendar; method=CANCEL")
    calendar = Calendar.from_ical(r.content)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"minilok-meeting-{mid}@minilok.example.id" and event.decoded("SEQUENCE") == 2
    assert b"DTSTART;TZID=Asia/Makassar:20260319T133000" in r.content
    assert "Bentrok dengan Musrenbang" in str(event["DESCRIPTION"])


def test_the_meeting_page_ticks_last_time_s_agencies_and_saves_moves_and_cancels_in_one_submit_each(world):
    from tests.integration.test_dashboard_idempotency import form_fields
    from tests.integration.test_meetings_dashboard_access import signed_in

    api, ids = world
    earlier = create(api, ids, scheduled_at="2025-12-03T09:00:00+08:00",
                     invited_agency_ids=[ids["kelurahan"], ids["rt"]]).json()["id"]
    api.put(f"/api/v1/meetings/{earlier}/attendance", json=[
        {"agency_id": ids["kelurahan"], "person_name": "Bu Lurah", "present": True},
        {"agency_id": ids["school"], "person_name": "Pak Guru", "present": True}])
    mid = create(api, ids).json()["id"]
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])

    page = client.get(f"/meetings/{mid}").text
    ticked = set(re.findall(r'name="agency_id" value="(\d+)" checked', page))
    assert ticked == {str(ids["kelurahan"]), str(ids["rt"])}  # last time's, not saved yet
    assert "rapat sebelumnya" in page
    assert api.get(f"/api/v1/meetings/{mid}").json()["invited_agency_ids"] == []
    hidden = form_fields(page, f"/meetings/{mid}/invitations")
    form = {**hidden, "agency_id": [str(ids["kelurahan"]), str(ids["kecamatan"])]}
    first = client.post(f"/meetings/{mid}/invitations", data=form, follow_redirects=False)
    again = client.post(f"/meetings/{mid}/invitations", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    m = api.get(f"/api/v1/meetings/{mid}").json()
    assert m["invited_agency_ids"] == sorted([ids["kelurahan"], ids["kecamatan"]]) and m["sequence"] == 1

    page = client.get(f"/meetings/{mid}").text
    form = {**form_fields(page, f"/meetings/{mid}/edit"), "title": "Minilok triwulan I 2026",
            "scheduled_at": "2026-03-19T13:30", "location": "Kantor Camat"}
    assert client.post(f"/meetings/{mid}/edit", data=form, follow_redirects=False).status_code == 303
    m = api.get(f"/api/v1/meetings/{mid}").json()
    assert m["sequence"] == 2 and m["location"] == "Kantor Camat"
    assert datetime.fromisoformat(m["scheduled_at"]) == datetime(2026, 3, 19, 5, 30, tzinfo=UTC)  # 13.30 WITA

    page = client.get(f"/meetings/{mid}").text
    cancel = {**form_fields(page, f"/meetings/{mid}/cancel"), "reason": "Banjir"}
    client.post(f"/meetings/{mid}/cancel", data=cancel, follow_redirects=False)  # not confirmed: nothing
    assert api.get(f"/api/v1/meetings/{mid}").json()["status"] == "scheduled"
    cancel = {**form_fields(client.get(f"/meetings/{mid}").text, f"/meetings/{mid}/cancel"), "reason": "Banjir",
              "confirm": "1"}
    assert client.post(f"/meetings/{mid}/cancel", data=cancel, follow_redirects=False).status_code == 303
    assert api.get(f"/api/v1/meetings/{mid}").json()["status"] == "cancelled"
    page = client.get(f"/meetings/{mid}").text
    assert "Rapat ini dibatalkan" in page and "Banjir" in page
    assert f'action="/meetings/{mid}/invitations"' not in page  # nothing left to change

    page = client.get(f"/meetings/{earlier}").text
    assert "hadir" in page and "Hadir tanpa undangan" in page and "SDN 001 Balikpapan Barat" in page
    ics = client.get(f"/meetings/{mid}/invitation.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar; method=CANCEL")


def test_an_invited_agency_opens_the_meeting_page_read_only(world):
    from tests.integration.test_meetings_dashboard_access import signed_in

    api, ids = world
    mid = create(api, ids, invited_agency_ids=[ids["kelurahan"]]).json()["id"]
    page = signed_in(api, role="agency", agency_id=ids["kelurahan"]).get(f"/meetings/{mid}")
    assert page.status_code == 200
    assert "Kelurahan Baru Tengah" in page.text and "Undangan kalender" in page.text
    assert f'method="post" action="/meetings/{mid}' not in page.text  # no form to invite, edit, add or publish
    assert "minutes.pdf" not in page.text  # the notulen are the puskesmas's (and its dinas's) to read
    page = signed_in(api, role="agency", agency_id=ids["school"]).get(f"/meetings/{mid}")
    assert page.status_code == 403
