"""Follow-ups through the meetings API on a real database: lifecycle, history, access, lists,
and the reminder/escalation scan firing each stage exactly once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from minilok_meetings import models
from minilok_meetings.service_layer import reminders
from sqlalchemy import select


def setup_puskesmas(api) -> dict:
    p = api.post("/api/v1/puskesmas", json={"code": "BT01", "name": "Puskesmas Baru Tengah",
                                            "timezone": "Asia/Makassar", "area_code": "64.71.05",
                                            "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur"}).json()
    pid = p["id"]

    def agency(name, kind, parent=None, puskesmas=pid):
        r = api.post("/api/v1/agencies", json={"name": name, "kind": kind, "parent_id": parent,
                                               "puskesmas_id": puskesmas})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    dinkes = agency("Dinas Kesehatan Kota Balikpapan", "dinas_kesehatan", puskesmas=None)
    head = agency("Puskesmas Baru Tengah", "puskesmas", parent=dinkes)
    kecamatan = agency("Kecamatan Balikpapan Barat", "kecamatan")
    kelurahan = agency("Kelurahan Baru Tengah", "kelurahan", parent=kecamatan)
    rt = agency("Ketua RT 12", "rt", parent=kelurahan)
    school = agency("SDN 001 Balikpapan Barat", "sekolah")
    meeting = api.post("/api/v1/meetings", json={
        "puskesmas_id": pid, "kind": "quarterly_cross_sector", "title": "Minilok lintas sektor",
        "scheduled_at": "2025-12-03T09:00:00+08:00"}).json()
    return {"puskesmas": pid, "dinkes": dinkes, "head": head, "kecamatan": kecamatan, "kelurahan": kelurahan,
            "rt": rt, "school": school, "meeting": meeting["id"]}


def new_followup(api, ids, **fields) -> dict:
    due = {} if {"due_at", "due_date", "due_in_working_days"} & fields.keys() else {"due_date": "2030-06-28"}
    body = {"title": "Pelacakan kontak erat TB", "owner_agency_id": ids["kelurahan"],
            "supporting_agency_ids": [ids["school"]], **due, **fields}
    r = api.post(f"/api/v1/meetings/{ids['meeting']}/follow-ups", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def outbox_events(api, type_: str | None = None) -> list[dict]:
    with api.client.app.state.sessionmaker() as session:
        rows = session.execute(select(models.outbox.c.body).order_by(models.outbox.c.id)).scalars().all()
    events = [json.loads(b) for b in rows]
    return [e for e in events if type_ is None or e["type"] == type_]


def test_a_follow_up_walks_open_in_progress_done_with_history(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids, due_date="2026-01-30")
    assert f["status"] == "open" and f["escalation_level"] == 0
    assert f["due_at"] == "2026-01-30T23:59:59+08:00"  # end of the day in WITA

    owner = api.headers("agency", agency_id=ids["kelurahan"])
    r = api.post(f"/api/v1/follow-ups/{f['id']}/start", headers=owner)
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = api.post(f"/api/v1/follow-ups/{f['id']}/progress", headers=owner,
                 json={"note": "12 kontak erat diperiksa", "percent": 40, "evidence_url": "https://example.org/foto"})
    assert r.status_code == 200 and r.json()["percent"] == 40
    r = api.post(f"/api/v1/follow-ups/{f['id']}/complete", headers=owner, json={"note": "Selesai"})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["completed_at"]
    assert api.post(f"/api/v1/follow-ups/{f['id']}/complete", headers=owner, json={"note": "lagi"}).status_code == 409
    assert api.post(f"/api/v1/follow-ups/{f['id']}/start").status_code == 409

    history = api.get(f"/api/v1/follow-ups/{f['id']}/history").json()
    assert [h["kind"] for h in history["items"]] == ["created", "start", "progress", "complete"]
    assert all(h["actor"] and h["at"] for h in history["items"])
    assert history["items"][2]["data"]["percent"] == 40

    types = [e["type"] for e in outbox_events(api) if e["type"].startswith("followup.")]
    assert types == ["followup.created", "followup.updated", "followup.progressed", "followup.completed"]
    progressed = outbox_events(api, "followup.progressed")[0]["data"]
    assert progressed["progress"]["percent"] == 40 and progressed["followup"]["status"] == "in_progress"
    completed = outbox_events(api, "followup.completed")[0]
    assert completed["data"]["previous_status"] == "in_progress"
    assert completed["data"]["followup"]["status"] == "done"

    r = api.post(f"/api/v1/follow-ups/{f['id']}/reopen", json={"reason": "Kontak baru ditemukan"})
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["completed_at"] is None
    r = api.post(f"/api/v1/follow-ups/{f['id']}/cancel", json={"reason": "Digabung dengan RTL lain"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert [e["type"] for e in outbox_events(api)][-2:] == ["followup.reopened", "followup.cancelled"]


def add_evidence(api, followup_id: int) -> int:
    with api.client.app.state.sessionmaker() as session, session.begin():
        row = models.Evidence(followup_id=followup_id, content_type="image/jpeg", size=10, sha256="0" * 64,
                              storage_key=f"test/{followup_id}.jpg", created_by="test")
        session.add(row)
        session.flush()
        return row.id


def test_complete_straight_from_open_links_evidence_and_records_the_move(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids)
    other = new_followup(api, ids)
    photo, elsewhere = add_evidence(api, f["id"]), add_evidence(api, other["id"])
    owner = api.headers("agency", agency_id=ids["kelurahan"])
    r = api.post(f"/api/v1/follow-ups/{f['id']}/complete", headers=owner,
                 json={"note": "Selesai", "evidence_ids": [elsewhere]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "evidence_ids"]
    assert api.get(f"/api/v1/follow-ups/{f['id']}").json()["status"] == "open"
    r = api.post(f"/api/v1/follow-ups/{f['id']}/complete", headers=owner,
                 json={"note": "Selesai", "evidence_ids": [photo, photo]})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["percent"] == 100
    last = api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"][-1]
    assert last["kind"] == "complete" and last["data"]["from"] == "open" and last["data"]["to"] == "done"
    assert last["data"]["evidence_ids"] == [photo]
    assert outbox_events(api, "followup.completed")[0]["data"]["previous_status"] == "open"


def test_progress_links_evidence_and_a_supporting_agency_may_add_notes_only(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids)
    photo = add_evidence(api, f["id"])
    supporter = api.headers("agency", agency_id=ids["school"])
    url = f"/api/v1/follow-ups/{f['id']}/progress"
    assert api.post(url, headers=supporter, json={"note": "x", "percent": 50}).status_code == 403
    assert api.post(url, headers=api.headers("agency", agency_id=ids["rt"]), json={"note": "x"}).status_code == 403
    r = api.post(url, headers=supporter, json={"note": "Guru UKS ikut skrining"})
    # A supporter's note is only a note: status, percent and the escalation ladder stay as they were.
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["paused_until"] is None
    r = api.post(url, json={"note": "x", "evidence_ids": [photo + 1000]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "evidence_ids"]
    r = api.post(url, headers=api.headers("agency", agency_id=ids["kelurahan"]),
                 json={"note": "Foto kegiatan", "percent": 30, "evidence_ids": [photo]})
    assert r.status_code == 200 and r.json()["status"] == "in_progress" and r.json()["paused_until"]
    items = api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"]
    assert [(h["kind"], h["data"].get("evidence_ids")) for h in items[1:]] == [("progress", []),
                                                                               ("progress", [photo])]
    assert [e["data"]["actor"] for e in outbox_events(api, "followup.progressed")][0].startswith("agency")


def test_working_days_count_from_the_meeting_date_not_today(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)  # the meeting: Wednesday 3 December 2025, 09:00 WITA
    f = new_followup(api, ids, due_in_working_days=3)
    assert f["due_at"] == "2025-12-08T23:59:59+08:00"  # Thu 4, Fri 5, Mon 8


def test_the_owner_acknowledges_and_the_next_escalation_waits(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids, due_date="2030-01-30")
    url = f"/api/v1/follow-ups/{f['id']}/acknowledge"
    assert api.post(url, headers=api.headers("agency", agency_id=ids["school"]), json={}).status_code == 403
    assert api.post(url, headers=api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 1),
                    json={}).status_code == 403
    r = api.post(url, headers=api.headers("agency", agency_id=ids["kelurahan"]), json={"note": "Siap"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acknowledged_at"] and body["paused_until"] and body["status"] == "open"
    assert body["next_reminder_at"]  # due soon, two days before the due date: not held back
    # Shown in the puskesmas's own zone (WITA), like due_at, on the answer and on a list read.
    assert all(body[k].endswith("+08:00") for k in ("due_at", "acknowledged_at", "paused_until", "next_reminder_at"))
    listed = api.get("/api/v1/follow-ups", params={"meeting_id": f["meeting_id"]}).json()["items"]
    assert [x["acknowledged_at"] for x in listed if x["id"] == f["id"]] == [body["acknowledged_at"]]
    assert datetime.fromisoformat(body["next_reminder_at"]) == datetime(2030, 1, 28, 15, 59, 59, tzinfo=UTC)
    event = outbox_events(api, "followup.acknowledged")
    assert len(event) == 1 and event[0]["data"]["note"] == "Siap" and event[0]["subject"] == str(f["id"])
    last = api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"][-1]
    assert last["kind"] == "acknowledged" and last["data"] == {"note": "Siap"}
    assert api.post(url, headers=api.headers("puskesmas", puskesmas_id=ids["puskesmas"]), json={}).status_code == 200
    assert api.post(url, json={"note": "x" * 5001}).status_code == 422
    api.post(f"/api/v1/follow-ups/{f['id']}/cancel", json={"reason": "Digabung"})
    assert api.post(url, json={}).status_code == 409
    assert api.post("/api/v1/follow-ups/999999/acknowledge", json={}).status_code == 404


def test_agencies_see_and_change_only_what_they_own_or_support(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids)
    supporter = api.headers("agency", agency_id=ids["school"])
    stranger = api.headers("agency", agency_id=ids["rt"])
    assert api.get(f"/api/v1/follow-ups/{f['id']}", headers=supporter).status_code == 200
    assert api.get(f"/api/v1/follow-ups/{f['id']}", headers=stranger).status_code == 403
    assert api.post(f"/api/v1/follow-ups/{f['id']}/start", headers=supporter).status_code == 403
    assert api.post(f"/api/v1/follow-ups/{f['id']}/cancel", headers=api.headers("agency", agency_id=ids["kelurahan"]),
                    json={"reason": "x"}).status_code == 403
    assert [x["id"] for x in api.get("/api/v1/follow-ups", headers=supporter).json()["items"]] == [f["id"]]
    assert api.get("/api/v1/follow-ups", headers=stranger).json()["items"] == []
    other = api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 1000)
    assert api.get(f"/api/v1/follow-ups/{f['id']}", headers=other).status_code == 403
    assert api.get("/api/v1/follow-ups").status_code == 200
    assert api.client.get("/api/v1/follow-ups").status_code == 401


def test_bad_input_names_the_field(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    url = f"/api/v1/meetings/{ids['meeting']}/follow-ups"
    r = api.post(url, json={"title": "x", "owner_agency_id": ids["kelurahan"]})
    assert r.status_code == 422 and "due_date, due_at, due_in_working_days" in r.text
    r = api.post(url, json={"title": "x", "owner_agency_id": ids["kelurahan"], "due_at": "2026-01-30T10:00:00"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "due_at"]
    r = api.post(url, json={"title": "x", "owner_agency_id": ids["kelurahan"], "due_date": "2026-01-30",
                            "priority": "urgent"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "priority"]
    r = api.post(url, json={"title": "x", "owner_agency_id": 99999, "due_date": "2026-01-30"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "owner_agency_id"]
    assert api.post("/api/v1/meetings/99999/follow-ups", json={}).status_code in (404, 422)
    assert api.get("/api/v1/follow-ups/99999").status_code == 404
    f = new_followup(api, ids)
    r = api.post(f"/api/v1/follow-ups/{f['id']}/progress", json={"note": "x", "percent": 150})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "percent"]
    assert api.get("/api/v1/follow-ups", params={"status": "late"}).status_code == 422
    assert api.get("/api/v1/follow-ups", params={"cursor": "???"}).status_code == 422


def test_lists_filter_and_page_newest_first(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    made = [new_followup(api, ids, title=f"RTL {i}")["id"] for i in range(5)]
    late = new_followup(api, ids, title="Terlambat", due_at="2020-01-01T00:00:00+08:00")["id"]
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/follow-ups", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [f["id"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(made + [late], reverse=True)
    overdue = api.get("/api/v1/follow-ups", params={"overdue": "true"}).json()["items"]
    assert [f["id"] for f in overdue] == [late] and overdue[0]["is_overdue"] is True
    assert api.get("/api/v1/follow-ups", params={"owner_agency_id": ids["rt"]}).json()["items"] == []


def test_scan_fires_overdue_then_escalates_up_the_chain_once_each(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids, due_at="2026-01-05T10:00:00+08:00", owner_agency_id=ids["rt"])
    sessions = api.client.app.state.sessionmaker
    due = datetime(2026, 1, 5, 2, tzinfo=UTC)

    reminders.scan(sessions, now=due - timedelta(days=1))
    assert [e["type"] for e in outbox_events(api) if e["type"] != "followup.created"][-1] == "followup.due_soon"
    reminders.scan(sessions, now=due + timedelta(minutes=1))
    reminders.scan(sessions, now=due + timedelta(minutes=2))
    overdue = outbox_events(api, "followup.overdue")
    assert len(overdue) == 1
    assert overdue[0]["data"]["escalated_to_agency_ids"] == [ids["rt"]]
    assert overdue[0]["data"]["followup"]["escalation_level"] == 1
    # Three working days later (8 Jan, a Thursday): the RT's parent, the kelurahan.
    reminders.scan(sessions, now=due + timedelta(days=3, minutes=1))
    reminders.scan(sessions, now=due + timedelta(days=3, minutes=2))
    escalated = outbox_events(api, "followup.escalated")
    assert len(escalated) == 1 and escalated[0]["data"]["escalated_to_agency_ids"] == [ids["kelurahan"]]
    assert api.get(f"/api/v1/follow-ups/{f['id']}").json()["escalation_level"] == 2
    # Seven working days: the puskesmas head and the dinas kesehatan above it.
    reminders.scan(sessions, now=due + timedelta(days=9, minutes=1))
    escalated = outbox_events(api, "followup.escalated")
    assert len(escalated) == 2
    assert sorted(escalated[1]["data"]["escalated_to_agency_ids"]) == sorted([ids["head"], ids["dinkes"]])
    kinds = [h["kind"] for h in api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"]]
    assert kinds == ["created", "due_soon", "overdue", "escalated", "escalated"]


def test_completing_stops_reminders_and_rescheduling_restarts_them(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    sessions = api.client.app.state.sessionmaker
    done = new_followup(api, ids, due_at="2026-01-05T10:00:00+08:00")
    api.post(f"/api/v1/follow-ups/{done['id']}/start")
    api.post(f"/api/v1/follow-ups/{done['id']}/complete", json={"note": "ok"})
    moved = new_followup(api, ids, due_at="2026-01-05T10:00:00+08:00")
    reminders.scan(sessions, now=datetime(2026, 1, 6, tzinfo=UTC))
    overdue = outbox_events(api, "followup.overdue")
    assert [e["data"]["followup"]["id"] for e in overdue] == [moved["id"]]

    r = api.patch(f"/api/v1/follow-ups/{moved['id']}", json={"due_date": "2026-02-27"})
    assert r.status_code == 200 and r.json()["escalation_level"] == 0
    assert r.json()["due_at"] == "2026-02-27T23:59:59+08:00"
    reminders.scan(sessions, now=datetime(2026, 1, 20, tzinfo=UTC))
    assert len(outbox_events(api, "followup.overdue")) == 1
    reminders.scan(sessions, now=datetime(2026, 2, 28, tzinfo=UTC))
    assert len(outbox_events(api, "followup.overdue")) == 2
    history = api.get(f"/api/v1/follow-ups/{moved['id']}/history").json()["items"]
    updated = [h for h in history if h["kind"] == "updated"][0]
    assert updated["data"]["after"]["due_at"].startswith("2026-02-27")


def test_concurrent_scans_fire_each_stage_once(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    sessions = api.client.app.state.sessionmaker
    with sessions() as session, session.begin():
        for i in range(300):
            session.add(models.FollowUp(
                meeting_id=ids["meeting"], puskesmas_id=ids["puskesmas"], title=f"RTL {i}",
                owner_agency_id=ids["kelurahan"], status="open",
                due_at=datetime(2026, 1, 5, tzinfo=UTC),
                next_reminder_at=datetime(2026, 1, 3, tzinfo=UTC)))
    now = datetime(2026, 1, 5, 1, tzinfo=UTC)
    errors = []

    def run():
        try:
            reminders.scan(sessions, now=now, batch_size=25)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    overdue = outbox_events(api, "followup.overdue")
    assert len(overdue) == 300
    assert len({e["data"]["followup"]["id"] for e in overdue}) == 300
    assert outbox_events(api, "followup.due_soon") == []


@pytest.mark.parametrize("policy, field", [
    ({"steps": []}, "steps"),
    ({"steps": [{"after": "P3D", "notify": "owner"}, {"after": "P1D", "notify": "puskesmas"}]}, "steps"),
    ({"steps": [{"after": "P1D", "notify": "somebody"}]}, "notify"),
    ({"steps": [{"after": "PT5H", "notify": "owner", "working_days": True}]}, "steps"),
])
def test_escalation_policy_validation(meetings_api, policy, field):
    ids = setup_puskesmas(meetings_api)
    r = meetings_api.put(f"/api/v1/escalation-policies/{ids['puskesmas']}", json=policy)
    assert r.status_code == 422 and field in json.dumps(r.json()["detail"][0]["loc"])


def test_escalation_policy_defaults_and_replacement(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    r = api.get(f"/api/v1/escalation-policies/{ids['puskesmas']}").json()
    assert r["is_default"] is True and r["due_soon_before"] == "P2D"
    assert [s["after"] for s in r["steps"]] == ["PT0S", "P3D", "P7D"]
    new = {"due_soon_before": "P1D", "steps": [{"after": "P0D", "notify": "owner"},
                                               {"after": "P1D", "notify": f"agency:{ids['kecamatan']}"}]}
    r = api.put(f"/api/v1/escalation-policies/{ids['puskesmas']}", json=new)
    assert r.status_code == 200 and r.json()["is_default"] is False
    assert api.get(f"/api/v1/escalation-policies/{ids['puskesmas']}").json()["steps"][1]["notify"] == \
        f"agency:{ids['kecamatan']}"
    other = api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 1)
    assert api.put(f"/api/v1/escalation-policies/{ids['puskesmas']}", json=new, headers=other).status_code == 403
