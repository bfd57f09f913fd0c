"""The dinas role and the agencies a follow-up escalated to (issue 15, items 1 and 4).

Three puskesmas in Kota Batam's area 21.71 (two kecamatan of it, one of them "21.71.06"), one in
Tanjungpinang (21.72) and one whose code only begins with the same characters ("21.711", not
within 21.71). A dinas over 21.71 reads the first three and nothing of the others, writes nothing,
and adds notes; an agency a follow-up escalated to opens it and adds notes; a dinas token with
its own agency (the dinas kesehatan's contact) gets what that agency is concerned in too."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from minilok_shared.db import utcnow
from sqlalchemy import event, update

AREAS = {"A": "21.71.06", "C": "21.71.07", "E": "21.71", "B": "21.72.01", "D": "21.711.01"}
IN_AREA, OUT_OF_AREA = ("A", "C", "E"), ("B", "D")


def create(api, path, body, expect=201):
    r = api.post(f"/api/v1/{path}", json=body)
    assert r.status_code == expect, (path, r.text)
    return r.json()


@pytest.fixture
def world(meetings_api):
    api, ids = meetings_api, {}
    for name, area in AREAS.items():
        ids[name] = create(api, "puskesmas", {"code": f"P{name}", "name": f"Puskesmas {name}",
                                              "timezone": "Asia/Jakarta", "area_code": area, "kota": "Kota",
                                              "provinsi": "Kepulauan Riau"})["id"]
        ids[f"K{name}"] = create(api, "agencies", {"name": f"Kecamatan {name}", "kind": "kecamatan",
                                                   "puskesmas_id": ids[name]})["id"]
        ids[f"X{name}"] = create(api, "agencies", {"name": f"Kelurahan {name}", "kind": "kelurahan",
                                                   "puskesmas_id": ids[name], "parent_id": ids[f"K{name}"]})["id"]
        ids[f"m{name}"] = create(api, "meetings", {"puskesmas_id": ids[name], "kind": "monthly_internal",
                                                   "title": f"Lokmin {name}",
                                                   "scheduled_at": "2026-03-02T09:00:00+07:00"})["id"]
    ids["G"] = create(api, "agencies", {"name": "Dinas Kesehatan Kota Batam", "kind": "dinas_kesehatan"})["id"]
    return api, ids


def followup(api, ids, name: str, **fields) -> int:
    body = {"title": f"RTL {name}", "owner_agency_id": ids[f"X{name}"], "due_in_working_days": 5, **fields}
    return create(api, f"meetings/{ids[f'm{name}']}/follow-ups", body)["id"]


def escalate(api, followup_id: int, agency_id: int, level: int = 2) -> None:
    """What the scan records when a follow-up escalates to an agency (written here directly)."""
    from minilok_meetings import models

    with api.client.app.state.sessionmaker() as session:
        session.add(models.FollowUpEscalation(followup_id=followup_id, agency_id=agency_id, level=level))
        session.execute(update(models.FollowUp).where(models.FollowUp.id == followup_id)
                        .values(escalation_level=level))
        session.commit()


def dinas(api, area="21.71", **scope):
    return api.headers("dinas", area_code=area, **scope)


def ids_of(response) -> set[int]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_a_dinas_reads_every_puskesmas_within_its_area_and_nothing_outside(world):
    api, ids = world
    fu = {name: followup(api, ids, name) for name in AREAS}
    proposals = {}
    from minilok_meetings import models

    with api.client.app.state.sessionmaker() as session:
        for name in AREAS:
            p = models.Proposal(puskesmas_id=ids[name], event_id=str(uuid.uuid4()),
                                indicator_code="DBD_IR", area_code=AREAS[name], period="2026-01", title="DBD",
                                value=60.0, target=49.0, status="proposed")
            session.add(p)
            session.flush()
            proposals[name] = p.id
        session.commit()
    h = dinas(api)
    assert ids_of(api.get("/api/v1/puskesmas", headers=h)) == {ids[n] for n in IN_AREA}
    assert ids_of(api.get("/api/v1/follow-ups", headers=h)) == {fu[n] for n in IN_AREA}
    assert ids_of(api.get("/api/v1/meetings", headers=h)) == {ids[f"m{n}"] for n in IN_AREA}
    assert ids_of(api.get("/api/v1/proposals", headers=h)) == {proposals[n] for n in IN_AREA}
    # Its puskesmas's agencies and the shared ones; never another area's.
    agencies = {ids[f"{kind}{n}"] for kind in "KX" for n in IN_AREA} | {ids["G"]}
    assert ids_of(api.get("/api/v1/agencies", headers=h)) == agencies
    for name in IN_AREA:
        assert api.get(f"/api/v1/puskesmas/{ids[name]}", headers=h).status_code == 200
        assert api.get(f"/api/v1/follow-ups/{fu[name]}", headers=h).status_code == 200
        assert api.get(f"/api/v1/follow-ups/{fu[name]}/history", headers=h).status_code == 200
        assert api.get(f"/api/v1/meetings/{ids[f'm{name}']}", headers=h).status_code == 200
        assert api.get(f"/api/v1/meetings/{ids[f'm{name}']}/minutes.pdf", headers=h).status_code == 200
        assert api.get(f"/api/v1/meetings/{ids[f'm{name}']}/follow-ups.xlsx", headers=h).status_code == 200
        assert api.get(f"/api/v1/escalation-policies/{ids[name]}", headers=h).status_code == 200
        assert api.get(f"/api/v1/proposals/{proposals[name]}", headers=h).status_code == 200
        assert api.get(f"/api/v1/agencies/{ids[f'X{name}']}", headers=h).status_code == 200
        assert ids_of(api.get("/api/v1/follow-ups", headers=h, params={"puskesmas_id": ids[name]})) == {fu[name]}
    for name in OUT_OF_AREA:
        for path in (f"puskesmas/{ids[name]}", f"follow-ups/{fu[name]}", f"follow-ups/{fu[name]}/history",
                     f"meetings/{ids[f'm{name}']}", f"meetings/{ids[f'm{name}']}/minutes.pdf",
                     f"meetings/{ids[f'm{name}']}/follow-ups.xlsx", f"escalation-policies/{ids[name]}",
                     f"proposals/{proposals[name]}", f"agencies/{ids[f'X{name}']}"):
            assert api.get(f"/api/v1/{path}", headers=h).status_code == 403, path
        # Asking for another area's puskesmas answers an empty list, as for a puskesmas token.
        for path in ("follow-ups", "meetings", "proposals"):
            assert ids_of(api.get(f"/api/v1/{path}", headers=h, params={"puskesmas_id": ids[name]})) == set()
    assert api.get("/api/v1/puskesmas/999999", headers=h).status_code == 403
    # A dinas over the whole province reads all five; one over the kecamatan only that one.
    assert ids_of(api.get("/api/v1/follow-ups", headers=dinas(api, "21"))) == set(fu.values())
    assert ids_of(api.get("/api/v1/follow-ups", headers=dinas(api, "21.71.06"))) == {fu["A"]}


def test_a_dinas_writes_nothing_but_notes(world):
    api, ids = world
    fid, h = followup(api, ids, "A"), dinas(api)
    denied = [
        ("post", "puskesmas", {"code": "PZ", "name": "Z", "timezone": "Asia/Jakarta", "area_code": "21.71.09",
                               "kota": "K", "provinsi": "P"}),
        ("patch", f"puskesmas/{ids['A']}", {"name": "Diambil alih"}),
        ("post", "agencies", {"name": "RT 01", "kind": "rt", "puskesmas_id": ids["A"]}),
        ("patch", f"agencies/{ids['XA']}", {"name": "Diambil alih"}),
        ("post", "meetings", {"puskesmas_id": ids["A"], "kind": "other", "title": "Rapat",
                              "scheduled_at": "2026-04-01T09:00:00+07:00"}),
        ("post", f"meetings/{ids['mA']}/agenda", {"title": "Situasi DBD"}),
        ("post", f"meetings/{ids['mA']}/minutes", {"summary": "Ringkasan", "decisions": []}),
        ("post", f"meetings/{ids['mA']}/follow-ups", {"title": "x", "owner_agency_id": ids["XA"],
                                                       "due_date": "2026-05-01"}),
        ("patch", f"follow-ups/{fid}", {"priority": "high"}),
        ("post", f"follow-ups/{fid}/start", None),
        ("post", f"follow-ups/{fid}/progress", {"note": "Sudah separuh", "percent": 50}),
        ("post", f"follow-ups/{fid}/progress", {"note": "Sudah separuh"}),
        ("post", f"follow-ups/{fid}/complete", {"note": "Selesai"}),
        ("post", f"follow-ups/{fid}/cancel", {"reason": "x"}),
        ("put", f"escalation-policies/{ids['A']}", {"due_soon_before": "P2D", "steps": [{"after": "P0D",
                                                                                          "notify": "owner"}]}),
    ]
    for method, path, body in denied:
        r = getattr(api, method)(f"/api/v1/{path}", json=body, headers=h)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
    before = api.get(f"/api/v1/follow-ups/{fid}").json()
    note = api.post(f"/api/v1/follow-ups/{fid}/notes", json={"note": "Sudah kami tegur"}, headers=h)
    assert note.status_code == 201, note.text
    assert note.json()["kind"] == "note" and note.json()["data"]["note"] == "Sudah kami tegur"
    assert api.get(f"/api/v1/follow-ups/{fid}").json() == before  # a note changes nothing else
    outside = followup(api, ids, "B")
    assert api.post(f"/api/v1/follow-ups/{outside}/notes", json={"note": "x"}, headers=h).status_code == 403


def test_escalated_to_agencies_open_the_follow_up_and_add_notes(world):
    api, ids = world
    fid, quiet = followup(api, ids, "A"), followup(api, ids, "A")
    kec = api.headers("agency", agency_id=ids["KA"])
    assert api.get(f"/api/v1/follow-ups/{fid}", headers=kec).status_code == 403
    assert ids_of(api.get("/api/v1/follow-ups", headers=kec)) == set()
    escalate(api, fid, ids["KA"])
    assert api.get(f"/api/v1/follow-ups/{fid}", headers=kec).status_code == 200
    assert api.get(f"/api/v1/follow-ups/{fid}/history", headers=kec).status_code == 200
    assert ids_of(api.get("/api/v1/follow-ups", headers=kec)) == {fid}
    assert ids_of(api.get("/api/v1/follow-ups", headers=kec, params={"status": "open"})) == {fid}
    assert api.get(f"/api/v1/follow-ups/{quiet}", headers=kec).status_code == 403
    r = api.post(f"/api/v1/follow-ups/{fid}/notes", json={"note": "Sudah kami tegur"}, headers=kec)
    assert r.status_code == 201, r.text
    assert r.json()["data"] == {"note": "Sudah kami tegur", "agency_id": ids["KA"]}
    history = api.get(f"/api/v1/follow-ups/{fid}/history", headers=kec).json()["items"]
    assert [h["kind"] for h in history] == ["created", "note"]
    for action, body in (("progress", {"note": "x", "percent": 10}), ("complete", {"note": "x"}),
                         ("cancel", {"reason": "x"}), ("start", None)):
        assert api.post(f"/api/v1/follow-ups/{fid}/{action}", json=body, headers=kec).status_code == 403, action
    assert api.post(f"/api/v1/follow-ups/{quiet}/notes", json={"note": "x"}, headers=kec).status_code == 403
    # The note is history only: no event leaves the service for it.
    from minilok_meetings import models
    from sqlalchemy import select

    with api.client.app.state.sessionmaker() as session:
        types = session.scalars(select(models.outbox.c.type).where(models.outbox.c.subject == str(fid),
                                                                   models.outbox.c.type.like("followup.%"))).all()
    assert types == ["followup.created"]


def test_a_dinas_with_its_own_agency_gets_what_that_agency_is_concerned_in(world):
    """The dinas kesehatan's contact (a dinas token carrying agency G) over Tanjungpinang: a Batam
    follow-up escalated to G, or owned by G, is its to open; other Batam follow-ups are not."""
    api, ids = world
    escalated, owned, other = followup(api, ids, "A"), followup(api, ids, "A", owner_agency_id=ids["G"]), \
        followup(api, ids, "A")
    tanjungpinang = followup(api, ids, "B")
    escalate(api, escalated, ids["G"], level=3)
    h = dinas(api, "21.72", agency_id=ids["G"])
    assert ids_of(api.get("/api/v1/follow-ups", headers=h)) == {escalated, owned, tanjungpinang}
    assert api.get(f"/api/v1/follow-ups/{escalated}", headers=h).status_code == 200
    assert api.get(f"/api/v1/follow-ups/{other}", headers=h).status_code == 403
    assert api.post(f"/api/v1/follow-ups/{escalated}/notes", json={"note": "Ditegur"}, headers=h).status_code == 201
    # Escalated to: notes only. Owned by its agency: the owner's moves.
    assert api.post(f"/api/v1/follow-ups/{escalated}/start", headers=h).status_code == 403
    r = api.post(f"/api/v1/follow-ups/{owned}/progress", json={"note": "ORI campak dimulai", "percent": 30},
                 headers=h)
    assert r.status_code == 200 and r.json()["percent"] == 30, r.text
    assert api.post(f"/api/v1/follow-ups/{owned}/cancel", json={"reason": "x"}, headers=h).status_code == 403


def test_the_list_is_one_statement_however_many_follow_ups(world):
    """No per-row checks: a dinas's page of follow-ups is one SQL statement, for 5 rows or 60."""
    api, ids = world
    engine = api.client.app.state.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "followups" in statement:
            statements.append(statement)

    counts, made = [], 0
    for total in (5, 60):
        for i in range(made, total):
            followup(api, ids, "AC"[i % 2])
        made = total
        for page in api.get("/api/v1/follow-ups", params={"limit": 3}).json()["items"]:
            escalate(api, page["id"], ids["KA"])
        event.listen(engine, "before_cursor_execute", count)
        try:
            for h in (dinas(api), dinas(api, agency_id=ids["G"]), api.headers("agency", agency_id=ids["KA"])):
                assert api.get("/api/v1/follow-ups", headers=h, params={"limit": 100}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
        statements.clear()
    assert counts == [3, 3], counts


def test_the_dinas_overview_shows_its_puskesmas_worst_first(world):
    api, ids = world
    from minilok_meetings import models

    late = {"A": 1, "C": 3, "E": 0, "B": 5}
    escalated = {"A": 2, "C": 0, "E": 0, "B": 4}
    made = {name: [followup(api, ids, name) for _ in range(4)] for name in ("A", "C", "E", "B")}
    done = followup(api, ids, "E")
    with api.client.app.state.sessionmaker() as session:
        for name, fids in made.items():
            for i, fid in enumerate(fids):
                late_by = 3 if i < late[name] or i < escalated[name] else -30  # the meeting was long ago
                values = {"due_at": utcnow() - timedelta(days=late_by)}
                if i < escalated[name]:
                    values["escalation_level"] = 2
                session.execute(update(models.FollowUp).where(models.FollowUp.id == fid).values(**values))
        session.commit()
    assert api.post(f"/api/v1/follow-ups/{done}/complete", json={"note": "Selesai"}).status_code == 200
    from minilok_meetings.service_layer.dashboard_reads import area_overview
    from minilok_shared.auth import Principal

    with api.client.app.state.sessionmaker() as session:
        rows = area_overview(session, Principal(role="dinas", subject="d", area_code="21.71"), utcnow())
    got = [(r.name, r.active, r.overdue, r.escalated) for r in rows]
    # Most escalated first, then most overdue; B (Tanjungpinang) and D (21.711) are not in the area.
    assert got == [("Puskesmas A", 4, 2, 2), ("Puskesmas C", 4, 3, 0), ("Puskesmas E", 4, 0, 0)]

    client = TestClient(api.client.app)
    token = dinas(api)["Authorization"].removeprefix("Bearer ")
    assert client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False).status_code == 303
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert text.index("Puskesmas A") < text.index("Puskesmas C") < text.index("Puskesmas E")
    assert "Puskesmas B" not in text and "Puskesmas D" not in text
    assert f'href="/board?puskesmas_id={ids["A"]}"' in text
    board = client.get(f"/board?puskesmas_id={ids['C']}")
    assert board.status_code == 200 and "RTL C" in board.text and "RTL A" not in board.text
    meeting = client.get(f"/meetings/{ids['mA']}")
    assert meeting.status_code == 200 and 'action="/meetings/' not in meeting.text  # read only
    assert client.get(f"/meetings/{ids['mB']}").status_code == 403


def test_the_note_form_on_the_follow_up_page(world):
    api, ids = world
    fid = followup(api, ids, "A")
    escalate(api, fid, ids["KA"])
    client = TestClient(api.client.app)
    token = api.headers("agency", agency_id=ids["KA"])["Authorization"].removeprefix("Bearer ")
    assert client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False).status_code == 303
    page = client.get(f"/follow-ups/{fid}")
    assert page.status_code == 200 and f'action="/follow-ups/{fid}/notes"' in page.text
    assert f'action="/follow-ups/{fid}/progress"' not in page.text  # not the owner
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post(f"/follow-ups/{fid}/notes", data={"csrf": csrf, "note": "Sudah kami tegur"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/follow-ups/{fid}"
    page = client.get(f"/follow-ups/{fid}")
    assert "Sudah kami tegur" in page.text and 'data-kind="note"' in page.text


def test_live_notices_reach_a_dinas_for_its_puskesmas_only(world):
    api, ids = world
    from minilok_meetings.web import live
    from minilok_shared.auth import Principal

    batam = Principal(role="dinas", subject="d", area_code="21.71", agency_id=str(ids["G"]))
    area = live.area_puskesmas(api.client.app, batam)
    assert area == {ids[n] for n in IN_AREA}

    def notice(puskesmas: str, agencies=()) -> dict:
        return {"type": "followup.updated", "puskesmas_id": ids[puskesmas], "agency_ids": list(agencies)}

    assert all(live.concerns(batam, notice(n), area) for n in IN_AREA)
    assert not any(live.concerns(batam, notice(n), area) for n in OUT_OF_AREA)
    assert live.concerns(batam, notice("B", [ids["G"]]), area)  # escalated to its own agency
    assert live.area_puskesmas(api.client.app, Principal(role="agency", subject="a", agency_id="1")) == frozenset()


def test_a_dinas_token_without_an_area_reads_nothing(world):
    """`minilok token create` and the sign-in never make one; a signed token without the claim
    still reads nothing rather than failing."""
    api, ids = world
    followup(api, ids, "A")
    import jwt

    claims = {"iss": "minilok", "sub": "dinas:noarea", "role": "dinas", "iat": 1_700_000_000}
    h = {"Authorization": f"Bearer {jwt.encode(claims, api.secret, algorithm='HS256')}"}
    for path in ("follow-ups", "puskesmas", "meetings", "proposals"):
        assert ids_of(api.get(f"/api/v1/{path}", headers=h)) == set(), path
    assert ids_of(api.get("/api/v1/agencies", headers=h)) == {ids["G"]}  # the shared ones only
    assert api.get(f"/api/v1/puskesmas/{ids['A']}", headers=h).status_code == 403


@pytest.mark.parametrize("few", [64, 0], ids=["per-puskesmas", "area-filter"])
def test_a_dinas_pages_its_follow_ups_newest_first_either_way(world, monkeypatch, few):
    """Both plans of a dinas's list (a small area per puskesmas, a large one as a filter) answer
    the same pages, with every filter and the cursor."""
    from minilok_meetings.service_layer import followup_reads

    monkeypatch.setattr(followup_reads, "FEW_PUSKESMAS", few)
    api, ids = world
    made = [followup(api, ids, "ACEB"[i % 4]) for i in range(14)]
    assert api.post(f"/api/v1/follow-ups/{made[0]}/start").status_code == 200
    expected = sorted((f for i, f in enumerate(made) if "ACEB"[i % 4] != "B"), reverse=True)
    for h in (dinas(api), dinas(api, agency_id=ids["G"])):
        seen, cursor = [], None
        while True:
            r = api.get("/api/v1/follow-ups", headers=h, params={"limit": 3, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200, r.text
            seen += [item["id"] for item in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        assert seen == expected
        assert ids_of(api.get("/api/v1/follow-ups", headers=h, params={"status": "in_progress"})) == {made[0]}
        assert ids_of(api.get("/api/v1/follow-ups", headers=h, params={"meeting_id": ids["mC"]})) == \
            {f for i, f in enumerate(made) if "ACEB"[i % 4] == "C"}
        assert ids_of(api.get("/api/v1/follow-ups", headers=h, params={"overdue": "true"})) == set(expected)
