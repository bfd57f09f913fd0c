"""Extension requests on a real database: an owner asks for more time, the puskesmas approves
(the due time moves, the ladder starts again) or refuses; who may do and see what."""

from __future__ import annotations

from datetime import UTC, datetime

from minilok_meetings.service_layer import reminders
from test_meetings_followups import new_followup, outbox_events, setup_puskesmas


def ask(api, fid, headers=None, **body):
    return api.post(f"/api/v1/follow-ups/{fid}/extension-requests", headers=headers,
                    json={"due_date": "2026-02-27", "reason": "Menunggu jadwal posyandu", **body})


def test_an_owner_asks_and_the_puskesmas_approves_moving_the_due_time_and_restarting_the_ladder(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    sessions = api.client.app.state.sessionmaker
    f = new_followup(api, ids, due_at="2026-01-05T10:00:00+08:00")
    owner = api.headers("agency", agency_id=ids["kelurahan"])
    reminders.scan(sessions, now=datetime(2026, 1, 20, tzinfo=UTC))  # overdue and escalated
    api.post(f"/api/v1/follow-ups/{f['id']}/acknowledge", headers=owner, json={})
    before = api.get(f"/api/v1/follow-ups/{f['id']}").json()
    assert before["escalation_level"] == 3 and before["paused_until"]

    r = ask(api, f["id"], headers=owner, due_date="2026-01-05")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "due_date"]
    r = ask(api, f["id"], headers=owner)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending" and req["due_date"] == "2026-02-27" and req["followup_id"] == f["id"]
    assert ask(api, f["id"], headers=owner).status_code == 409  # one pending at a time
    event = outbox_events(api, "followup.extension_requested")[0]["data"]
    assert event["extension_request"]["id"] == req["id"] and event["followup"]["id"] == f["id"]

    assert api.post(f"/api/v1/extension-requests/{req['id']}/approve", headers=owner, json={}).status_code == 403
    other = api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 1)
    assert api.post(f"/api/v1/extension-requests/{req['id']}/approve", headers=other, json={}).status_code == 403
    manager = api.headers("puskesmas", puskesmas_id=ids["puskesmas"])
    r = api.post(f"/api/v1/extension-requests/{req['id']}/approve", headers=manager, json={"reason": "Wajar"})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["decision_reason"] == "Wajar"
    assert api.post(f"/api/v1/extension-requests/{req['id']}/refuse", headers=manager, json={}).status_code == 409
    after = api.get(f"/api/v1/follow-ups/{f['id']}").json()
    assert after["due_at"] == "2026-02-27T23:59:59+08:00"  # the end of that day in WITA
    assert after["escalation_level"] == 0 and after["paused_until"] is None
    assert after["next_reminder_at"].startswith("2026-02-25")  # due soon again, two days before
    updated = outbox_events(api, "followup.updated")[-1]["data"]
    assert updated["extension_request"]["status"] == "approved"
    assert updated["followup"]["due_at"] == "2026-02-27T23:59:59+08:00"
    kinds = [h["kind"] for h in api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"]]
    assert kinds[-2:] == ["extension_requested", "extension_approved"]
    # The new ladder fires from its start: overdue once more after the new due time.
    reminders.scan(sessions, now=datetime(2026, 2, 28, tzinfo=UTC))
    assert len(outbox_events(api, "followup.overdue")) == 2


def test_a_refusal_keeps_the_due_time_and_the_owner_hears_it(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids, due_date="2026-01-30")
    req = ask(api, f["id"], headers=api.headers("agency", agency_id=ids["kelurahan"])).json()
    r = api.post(f"/api/v1/extension-requests/{req['id']}/refuse", json={"reason": "Sudah dua kali"})
    assert r.status_code == 200 and r.json()["status"] == "refused" and r.json()["decided_by"]
    assert api.get(f"/api/v1/follow-ups/{f['id']}").json()["due_at"] == "2026-01-30T23:59:59+08:00"
    updated = outbox_events(api, "followup.updated")[-1]
    assert updated["data"]["extension_request"]["status"] == "refused"
    assert updated["ownerid"] == str(ids["kelurahan"])
    assert ask(api, f["id"]).status_code == 201  # nothing pending any more: the owner may ask again
    assert api.post("/api/v1/extension-requests/999999/approve", json={}).status_code == 404


def test_who_may_ask_and_when(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids, due_date="2026-01-30")
    assert ask(api, f["id"], headers=api.headers("agency", agency_id=ids["school"])).status_code == 403
    assert ask(api, f["id"], headers=api.headers("agency", agency_id=ids["rt"])).status_code == 403
    assert ask(api, f["id"], reason="").status_code == 422
    r = ask(api, f["id"], due_date="2026-01-30")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "due_date"]
    assert ask(api, 999999).status_code == 404
    api.post(f"/api/v1/follow-ups/{f['id']}/complete", json={"note": "Selesai"})
    assert ask(api, f["id"]).status_code == 409


def test_lists_are_scoped_filtered_and_paged(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    owned = [new_followup(api, ids, due_date="2026-01-30")["id"] for _ in range(3)]
    others = new_followup(api, ids, due_date="2026-01-30", owner_agency_id=ids["rt"])["id"]
    made = [ask(api, fid).json()["id"] for fid in [*owned, others]]
    api.post(f"/api/v1/extension-requests/{made[0]}/refuse", json={})

    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/extension-requests", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        seen += [r["id"] for r in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(made, reverse=True)
    pending = api.get("/api/v1/extension-requests", params={"puskesmas_id": ids["puskesmas"], "status": "pending"})
    assert [r["id"] for r in pending.json()["items"]] == made[:0:-1]
    one = api.get("/api/v1/extension-requests", params={"followup_id": owned[1]}).json()["items"]
    assert [r["id"] for r in one] == [made[1]]
    kelurahan = api.headers("agency", agency_id=ids["kelurahan"])
    mine = api.get("/api/v1/extension-requests", headers=kelurahan).json()["items"]
    assert sorted(r["id"] for r in mine) == sorted(made[:3])
    manager = api.headers("puskesmas", puskesmas_id=ids["puskesmas"])
    assert len(api.get("/api/v1/extension-requests", headers=manager).json()["items"]) == 4
    assert api.get("/api/v1/extension-requests", headers=api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 1)
                   ).json()["items"] == []
    dinas = api.headers("dinas", area_code="64.71")
    assert len(api.get("/api/v1/extension-requests", headers=dinas).json()["items"]) == 4
    elsewhere = api.headers("dinas", area_code="21.71")
    assert api.get("/api/v1/extension-requests", headers=elsewhere).json()["items"] == []
    assert api.get("/api/v1/extension-requests", params={"status": "late"}).status_code == 422
    assert api.get("/api/v1/extension-requests", params={"cursor": "???"}).status_code == 422
    assert api.client.get("/api/v1/extension-requests").status_code == 401


def test_the_dashboard_acknowledges_asks_and_decides_in_one_click_each(meetings_api):
    from test_dashboard_idempotency import form_fields
    from test_meetings_dashboard_access import signed_in

    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids, due_date="2030-01-30")
    page_url = f"/follow-ups/{f['id']}"
    owner = signed_in(api, role="agency", agency_id=ids["kelurahan"])
    page = owner.get(page_url).text
    assert "Pengingat/eskalasi berikutnya" in page and "Diterima oleh penanggung jawab" not in page
    hidden = form_fields(page, f"{page_url}/acknowledge")
    assert owner.post(f"{page_url}/acknowledge", data={**hidden, "csrf": "wrong", "idempotency_key": "f" * 32},
                      follow_redirects=False).status_code in (303, 403)
    assert api.get(page_url.replace("/follow-ups", "/api/v1/follow-ups")).json()["acknowledged_at"] is None
    for _ in range(2):  # a double tap acknowledges once
        assert owner.post(f"{page_url}/acknowledge", data=hidden, follow_redirects=False).status_code == 303
    assert len(outbox_events(api, "followup.acknowledged")) == 1
    page = owner.get(page_url).text
    assert "Diterima oleh penanggung jawab" in page and f"{page_url}/acknowledge" not in page

    hidden = form_fields(page, f"{page_url}/extend")
    r = owner.post(f"{page_url}/extend", data={**hidden, "due_date": "2030-02-28", "reason": "Menunggu dana BOK"},
                   follow_redirects=False)
    assert r.status_code == 303
    page = owner.get(page_url).text
    assert "Menunggu keputusan puskesmas" in page and f"{page_url}/extend" not in page
    assert "/approve" not in page  # the owner cannot decide its own request

    manager = signed_in(api, role="puskesmas", puskesmas_id=ids["puskesmas"])
    board = manager.get("/board").text
    card = board[board.index(f'data-followup="{f["id"]}"'):][:1500]
    assert "diterima" in card and "minta perpanjangan" in card
    page = manager.get(page_url).text
    (request_id,) = {r["id"] for r in api.get("/api/v1/extension-requests").json()["items"]}
    hidden = form_fields(page, f"/extension-requests/{request_id}/approve")
    for _ in range(2):
        r = manager.post(f"/extension-requests/{request_id}/approve", data=hidden, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == page_url
    assert api.get(f"/api/v1/follow-ups/{f['id']}").json()["due_at"] == "2030-02-28T23:59:59+08:00"
    assert len([e for e in outbox_events(api, "followup.updated") if "extension_request" in e["data"]]) == 1
    page = manager.get(page_url).text
    assert "Perpanjangan disetujui" in page and "/approve" not in page
