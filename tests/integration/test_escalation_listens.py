"""Escalation that listens, on a real database: progress holds the parent's step back until the
pause runs out, the last step repeats (once per repeat however many scanners run), the agencies
escalated to are recorded, and the policy API carries repeat_every and progress_pause."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

from minilok_meetings import models
from minilok_meetings.service_layer import reminders
from minilok_shared.db import utcnow
from sqlalchemy import select
from test_meetings_followups import new_followup, outbox_events, setup_puskesmas


def escalated_to(api, followup_id: int) -> dict[int, int]:
    with api.client.app.state.sessionmaker() as session:
        rows = session.execute(select(models.FollowUpEscalation.agency_id, models.FollowUpEscalation.level)
                               .where(models.FollowUpEscalation.followup_id == followup_id)).all()
    return dict(rows)


def test_progress_holds_the_parent_back_until_the_pause_runs_out(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    sessions = api.client.app.state.sessionmaker
    now = utcnow()
    f = new_followup(api, ids, due_at=(now - timedelta(hours=1)).isoformat(), owner_agency_id=ids["rt"])
    reminders.scan(sessions, now=now)
    assert len(outbox_events(api, "followup.overdue")) == 1
    parent_due = datetime.fromisoformat(api.get(f"/api/v1/follow-ups/{f['id']}").json()["next_reminder_at"])

    r = api.post(f"/api/v1/follow-ups/{f['id']}/progress", headers=api.headers("agency", agency_id=ids["rt"]),
                 json={"note": "Separuh rumah sudah didatangi", "percent": 50})
    assert r.status_code == 200
    paused_until = datetime.fromisoformat(r.json()["paused_until"])
    assert paused_until > parent_due  # three working days from now, the parent's step two from the due time
    assert datetime.fromisoformat(r.json()["next_reminder_at"]) == paused_until

    reminders.scan(sessions, now=parent_due + timedelta(minutes=1))
    assert outbox_events(api, "followup.escalated") == []
    assert escalated_to(api, f["id"]) == {}
    reminders.scan(sessions, now=paused_until + timedelta(minutes=1))
    escalated = outbox_events(api, "followup.escalated")
    assert [e["data"]["escalated_to_agency_ids"] for e in escalated] == [[ids["kelurahan"]]]
    assert escalated_to(api, f["id"]) == {ids["kelurahan"]: 2}  # the owner itself is not listed


def test_the_last_step_repeats_once_per_period_to_the_same_agencies(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    sessions = api.client.app.state.sessionmaker
    f = new_followup(api, ids, due_at="2026-01-05T10:00:00+08:00", owner_agency_id=ids["rt"])
    reminders.scan(sessions, now=datetime(2026, 1, 20, tzinfo=UTC))  # through level 3 (14 January)
    last = outbox_events(api, "followup.escalated")[-1]
    assert "repeat" not in last["data"]
    first_repeat = datetime.fromisoformat(api.get(f"/api/v1/follow-ups/{f['id']}").json()["next_reminder_at"])
    # Five working days on: 15, 19, 20, 21 and 22 January (16 January is Isra Mi'raj).
    assert first_repeat == datetime(2026, 1, 22, 10, tzinfo=timezone(timedelta(hours=8)))

    for _ in range(2):
        reminders.scan(sessions, now=first_repeat)
    repeats = [e for e in outbox_events(api, "followup.escalated") if "repeat" in e["data"]]
    assert [e["data"]["repeat"] for e in repeats] == [1]
    assert sorted(repeats[0]["data"]["escalated_to_agency_ids"]) == sorted([ids["head"], ids["dinkes"]])
    assert repeats[0]["data"]["followup"]["escalation_level"] == 3
    history = api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"]
    assert history[-1]["kind"] == "escalated" and history[-1]["data"]["repeat"] == 1
    assert escalated_to(api, f["id"]) == {ids["kelurahan"]: 2, ids["head"]: 3, ids["dinkes"]: 3}

    # Down for three weeks: one repeat (the latest), then on from its due time.
    reminders.scan(sessions, now=datetime(2026, 2, 13, tzinfo=UTC))
    repeats = [e["data"]["repeat"] for e in outbox_events(api, "followup.escalated") if "repeat" in e["data"]]
    assert repeats == [1, 4]  # 29 January, 5 and 12 February passed; only the one of 12 February is sent
    # Then 5 working days from 12 February: 13, 18, 19, 20 and 23 (16-17 February: Imlek and its cuti bersama).
    next_at = datetime.fromisoformat(api.get(f"/api/v1/follow-ups/{f['id']}").json()["next_reminder_at"])
    assert next_at == datetime(2026, 2, 23, 10, tzinfo=timezone(timedelta(hours=8)))

    api.post(f"/api/v1/follow-ups/{f['id']}/complete", json={"note": "Selesai"})
    reminders.scan(sessions, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert len([e for e in outbox_events(api, "followup.escalated") if "repeat" in e["data"]]) == 2


def test_concurrent_scanners_send_each_repeat_once(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    sessions = api.client.app.state.sessionmaker
    due = datetime(2026, 1, 5, 2, tzinfo=UTC)
    last_step = datetime(2026, 1, 14, 2, tzinfo=UTC)  # level 3, seven working days after
    with sessions() as session, session.begin():
        for i in range(300):
            session.add(models.FollowUp(
                meeting_id=ids["meeting"], puskesmas_id=ids["puskesmas"], title=f"RTL {i}",
                owner_agency_id=ids["kelurahan"], status="open", due_at=due, escalation_level=3,
                reminder_stage=4, last_stage_at=last_step, next_reminder_at=last_step + timedelta(days=7)))
    now = datetime(2026, 1, 23, tzinfo=UTC)  # the first repeat was due on 22 January
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
    repeats = outbox_events(api, "followup.escalated")
    assert len(repeats) == 300 and {e["data"]["repeat"] for e in repeats} == {1}
    assert len({e["data"]["followup"]["id"] for e in repeats}) == 300
    with sessions() as session:
        stages = set(session.scalars(select(models.FollowUp.reminder_stage)))
        rows = session.scalars(select(models.FollowUpEscalation.agency_id)).all()
    assert stages == {5}
    assert len(rows) == 600 and set(rows) == {ids["head"], ids["dinkes"]}


def test_the_policy_carries_repeat_and_pause(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    url = f"/api/v1/escalation-policies/{ids['puskesmas']}"
    r = api.get(url).json()
    assert (r["repeat_every"], r["progress_pause"]) == ("P5D", "P3D")
    steps = [{"after": "P0D", "notify": "owner"}, {"after": "P2D", "notify": "owner_parent", "working_days": True}]
    r = api.put(url, json={"steps": steps, "repeat_every": None, "progress_pause": "P1D"})
    assert r.status_code == 200 and (r.json()["repeat_every"], r.json()["progress_pause"]) == (None, "P1D")
    assert (api.get(url).json()["repeat_every"], api.get(url).json()["progress_pause"]) == (None, "P1D")
    assert api.put(url, json={"steps": steps}).json()["repeat_every"] == "P5D"  # left out: the default
    for bad in ({"repeat_every": "PT0S"}, {"repeat_every": "PT5H"}, {"progress_pause": "P400D"},
                {"progress_pause": "-P1D"}):
        r = api.put(url, json={"steps": steps, **bad})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", next(iter(bad))], r.text

    # Open work follows the new policy at once: no repeats after the last step now.
    api.put(url, json={"steps": steps, "repeat_every": None})
    f = new_followup(api, ids, due_at="2026-01-05T10:00:00+08:00")
    reminders.scan(api.client.app.state.sessionmaker, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert api.get(f"/api/v1/follow-ups/{f['id']}").json()["next_reminder_at"] is None
