"""Events carry names (event-carried state) on a real database: every `followup.*` event names the
puskesmas, owner and supporters, the zone and the dashboard link; escalations name the agencies
escalated to; the actor is named when it is an agency or a signed-in contact; an urgent step marks
its events; `meeting.*` events name the puskesmas and the invited agencies; and the reminder scan
finds all those names in as many queries for fifty follow-ups as for one."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml
from minilok_meetings.events import Names
from minilok_meetings.service_layer import reminders
from minilok_shared.action_links import mint_action_token
from sqlalchemy import event

from tests.integration.test_meetings_followups import new_followup, outbox_events, setup_puskesmas

PUBLIC = "https://minilok.example.id"


@pytest.fixture
def api(service_api, monkeypatch):
    monkeypatch.setenv("MINILOK_PUBLIC_URL", PUBLIC + "/")  # a trailing slash is not doubled
    return service_api("meetings")


def test_a_created_follow_up_names_its_puskesmas_owner_supporters_zone_and_link(api):
    ids = setup_puskesmas(api)
    f = new_followup(api, ids)
    (created,) = outbox_events(api, "followup.created")
    data = created["data"]["followup"]
    assert data["id"] == f["id"] and data["owner_agency_id"] == ids["kelurahan"]
    assert data["puskesmas_name"] == "Puskesmas Baru Tengah"
    assert data["owner_agency_name"] == "Kelurahan Baru Tengah"
    assert data["supporting_agency_ids"] == [ids["school"]]
    assert data["supporting_agencies"] == [{"id": ids["school"], "name": "SDN 001 Balikpapan Barat"}]
    assert data["timezone"] == "Asia/Makassar"
    assert data["url"] == f"{PUBLIC}/follow-ups/{f['id']}"
    # Kept for the consumers written before the names: every earlier field is still there.
    assert {"meeting_id", "puskesmas_id", "title", "action", "due_at", "status", "escalation_level",
            "area_code", "indicator_code"} <= data.keys()
    assert created["data"]["actor"].startswith("admin:") and "actor_name" not in created["data"]


def test_an_action_link_and_a_signed_in_contact_are_named_as_actors(api):
    ids = setup_puskesmas(api)
    babinsa = api.post("/api/v1/agencies", json={
        "name": "Babinsa Baru Tengah", "kind": "babinsa", "puskesmas_id": ids["puskesmas"],
        "contacts": [{"name": "Serda Budi", "phone": "+6281234567890"}]}).json()
    f = new_followup(api, ids)
    token = mint_action_token(os.environ["MINILOK_SECRET"], f["id"], ids["kelurahan"],
                              datetime.fromisoformat(f["due_at"]))
    assert api.post(f"/api/v1/actions/{token}/acknowledge", headers={}, json={}).status_code == 200
    (acknowledged,) = outbox_events(api, "followup.acknowledged")
    assert acknowledged["data"]["actor"] == f"agency:{ids['kelurahan']}:link"
    assert acknowledged["data"]["actor_name"] == "Kelurahan Baru Tengah"

    g = new_followup(api, ids, owner_agency_id=babinsa["id"], supporting_agency_ids=[])
    contact = api.headers("agency", agency_id=babinsa["id"], subject=f"contact:{babinsa['contacts'][0]['id']}")
    r = api.post(f"/api/v1/follow-ups/{g['id']}/progress", headers=contact, json={"note": "Sudah ke 3 RT"})
    assert r.status_code == 200, r.text
    (progressed,) = outbox_events(api, "followup.progressed")
    assert progressed["data"]["actor_name"] == "Serda Budi (Babinsa Baru Tengah)"
    assert progressed["data"]["followup"]["supporting_agencies"] == []


def test_escalations_name_the_agencies_escalated_to_and_an_urgent_step_marks_its_events(api):
    ids = setup_puskesmas(api)
    url = f"/api/v1/escalation-policies/{ids['puskesmas']}"
    steps = [{"after": "P0D", "notify": "owner"},
             {"after": "P1D", "notify": "owner_parent"},
             {"after": "P2D", "notify": f"agency:{ids['dinkes']}", "urgent": True}]
    r = api.put(url, json={"steps": steps, "repeat_every": None})
    assert r.status_code == 200, r.text
    assert [s["urgent"] for s in api.get(url).json()["steps"]] == [False, False, True]
    due = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    new_followup(api, ids, due_at=due.isoformat())
    sessions = api.client.app.state.sessionmaker
    for days in (0, 1, 2):
        reminders.scan(sessions, now=due + timedelta(days=days, minutes=1))
    (overdue,) = outbox_events(api, "followup.overdue")
    assert overdue["data"]["escalated_to_agencies"] == [{"id": ids["kelurahan"], "name": "Kelurahan Baru Tengah"}]
    assert overdue["data"]["actor"] == "system:scheduler" and "urgent" not in overdue["data"]
    parent, dinas = outbox_events(api, "followup.escalated")
    assert parent["data"]["escalated_to_agency_ids"] == [ids["kecamatan"]]
    assert parent["data"]["escalated_to_agencies"] == [{"id": ids["kecamatan"], "name": "Kecamatan Balikpapan Barat"}]
    assert "urgent" not in parent["data"]
    assert dinas["data"]["escalated_to_agencies"] == [{"id": ids["dinkes"], "name": "Dinas Kesehatan Kota Balikpapan"}]
    assert dinas["data"]["urgent"] is True
    assert dinas["data"]["followup"]["owner_agency_name"] == "Kelurahan Baru Tengah"
    assert dinas["data"]["followup"]["escalation_level"] == 3


def test_meeting_events_name_the_puskesmas_and_the_invited_agencies(api):
    ids = setup_puskesmas(api)
    r = api.post("/api/v1/meetings", json={
        "puskesmas_id": ids["puskesmas"], "kind": "quarterly_cross_sector", "title": "Minilok triwulan I",
        "scheduled_at": "2026-03-18T09:00:00+08:00", "location": "Aula Kelurahan Baru Tengah",
        "invited_agency_ids": [ids["kelurahan"], ids["kecamatan"]]})
    assert r.status_code == 201, r.text
    meeting = outbox_events(api, "meeting.scheduled")[-1]["data"]["meeting"]
    assert meeting["id"] == r.json()["id"]
    assert meeting["puskesmas_name"] == "Puskesmas Baru Tengah" and meeting["timezone"] == "Asia/Makassar"
    assert meeting["location"] == "Aula Kelurahan Baru Tengah"
    assert meeting["invited_agency_ids"] == sorted([ids["kelurahan"], ids["kecamatan"]])
    assert {a["name"] for a in meeting["invited_agencies"]} == {"Kelurahan Baru Tengah", "Kecamatan Balikpapan Barat"}
    assert meeting["url"] == f"{PUBLIC}/meetings/{meeting['id']}"
    assert meeting["sequence"] == 0 and "cancel_reason" not in meeting

    mid = meeting["id"]
    assert api.post(f"/api/v1/meetings/{mid}/minutes", json={"summary": "Ringkas", "decisions": []}).status_code < 300
    assert api.post(f"/api/v1/meetings/{mid}/publish").status_code == 200
    published = outbox_events(api, "meeting.minutes_published")[-1]["data"]["meeting"]
    assert published["status"] == "published" and published["puskesmas_name"] == "Puskesmas Baru Tengah"
    assert published["invited_agency_ids"] == meeting["invited_agency_ids"]


def count_statements(engine):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_the_scan_finds_the_names_of_fifty_follow_ups_in_as_many_statements_as_for_one(api):
    ids = setup_puskesmas(api)
    owners = [ids["kelurahan"], ids["rt"], ids["school"]]
    # One step and no repeats: the first batch is quiet while the second is scanned.
    api.put(f"/api/v1/escalation-policies/{ids['puskesmas']}",
            json={"steps": [{"after": "P0D", "notify": "owner"}], "repeat_every": None})
    sessions = api.client.app.state.sessionmaker
    with sessions() as session:
        engine = session.get_bind()
    counts = {}
    for how_many, due in ((1, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)), (50, datetime(2026, 4, 6, 10, 0, tzinfo=UTC))):
        for i in range(how_many):
            new_followup(api, ids, due_at=due.isoformat(), owner_agency_id=owners[i % 3],
                         supporting_agency_ids=[owners[(i + 1) % 3]])
        seen, stop = count_statements(engine)
        try:
            totals = reminders.scan(sessions, now=due + timedelta(minutes=1))
        finally:
            stop()
        assert totals == {"followups": how_many, "events": how_many}
        counts[how_many] = len(seen)
    assert counts[50] == counts[1], counts
    events = outbox_events(api, "followup.overdue")
    assert len(events) == 51
    assert {e["data"]["followup"]["owner_agency_name"] for e in events} == {
        "Kelurahan Baru Tengah", "Ketua RT 12", "SDN 001 Balikpapan Barat"}
    assert all(e["data"]["followup"]["supporting_agencies"][0]["name"] in
               ("Kelurahan Baru Tengah", "Ketua RT 12", "SDN 001 Balikpapan Barat") for e in events)
    assert all(e["data"]["followup"]["puskesmas_name"] == "Puskesmas Baru Tengah" for e in events)


def test_every_event_written_matches_docs_asyncapi(api):
    """The data of every followup.* and meeting.* event of a busy puskesmas, checked against the
    schemas of docs/asyncapi.yaml (names, zone, link and the invitation's fields included)."""
    document = yaml.safe_load((Path(__file__).parents[2] / "docs" / "asyncapi.yaml").read_text())
    ids = setup_puskesmas(api)
    steps = [{"after": "P0D", "notify": "owner"}, {"after": "P1D", "notify": "owner_parent", "urgent": True}]
    api.put(f"/api/v1/escalation-policies/{ids['puskesmas']}", json={"steps": steps})
    due = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    f = new_followup(api, ids, due_at=due.isoformat())
    for days in (0, 1, 7):
        reminders.scan(api.client.app.state.sessionmaker, now=due + timedelta(days=days, minutes=1))
    api.post(f"/api/v1/follow-ups/{f['id']}/progress", json={"note": "Mulai", "percent": 10})
    api.post(f"/api/v1/follow-ups/{f['id']}/complete", json={"note": "Selesai"})
    m = api.post("/api/v1/meetings", json={"puskesmas_id": ids["puskesmas"], "kind": "other", "title": "Rapat",
                                           "scheduled_at": "2026-05-20T09:00:00+08:00",
                                           "invited_agency_ids": [ids["kelurahan"]]}).json()
    api.patch(f"/api/v1/meetings/{m['id']}", json={"location": "Aula"})
    api.post(f"/api/v1/meetings/{m['id']}/cancel", json={"reason": "Banjir"})
    events = [e for e in outbox_events(api) if e["type"].split(".")[0] in ("followup", "meeting")]
    checked = set()
    for e in events:
        schema = "FollowUpData" if e["type"].startswith("followup.") else "Meeting"
        data = e["data"] if schema == "FollowUpData" else e["data"]["meeting"]
        jsonschema.validate(data, {**document, "$ref": f"#/components/schemas/{schema}"},
                            cls=jsonschema.Draft202012Validator)
        checked.add(e["type"])
    assert {"followup.created", "followup.progressed", "followup.overdue", "followup.escalated",
            "followup.completed", "meeting.scheduled", "meeting.updated", "meeting.cancelled"} <= checked
    assert any(e["data"].get("urgent") for e in events if e["type"] == "followup.escalated")


def test_actor_names_read_every_subject_an_agency_acts_under():
    names = Names(agencies={17: "Kelurahan Baru Tengah"}, contacts={5: ("Serda Budi", 17), 6: ("Bu Sari", 99)})
    for actor in ("agency:17", "agency:17:link", "agency:17:whatsapp"):
        assert names.actor_name(actor) == "Kelurahan Baru Tengah"
    assert names.actor_name("contact:5") == "Serda Budi (Kelurahan Baru Tengah)"
    assert names.actor_name("contact:6") == "Bu Sari"  # its agency unknown: the person alone
    for actor in ("agency:18", "contact:7", "system:scheduler", "admin:3f9c2a", "puskesmas:1", "agency:17:LINK", None):
        assert names.actor_name(actor) is None
