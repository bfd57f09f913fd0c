"""The rapor lintas sektor (GET /api/v1/scorecard): per agency, follow-ups due in a period done on
time, done late, still open past due, and the median days late; who may read it. SQLite or
PostgreSQL (MINILOK_TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from minilok_meetings import models
from sqlalchemy import update

WIB = "+07:00"


def create(api, path, body):
    r = api.post(f"/api/v1/{path}", json=body)
    assert r.status_code == 201, (path, r.text)
    return r.json()


@pytest.fixture
def world(meetings_api):
    api, ids = meetings_api, {}
    for name, area in (("A", "21.71.06"), ("B", "21.71.07"), ("Z", "21.72.01")):
        ids[name] = create(api, "puskesmas", {"code": f"P{name}", "name": f"Puskesmas {name}",
                                              "timezone": "Asia/Jakarta", "area_code": area, "kota": "Kota",
                                              "provinsi": "Kepulauan Riau"})["id"]
        ids[f"m{name}"] = create(api, "meetings", {"puskesmas_id": ids[name], "kind": "quarterly_cross_sector",
                                                   "title": f"Lokmin {name}",
                                                   "scheduled_at": "2026-01-05T09:00:00+07:00"})["id"]
    ids["kec"] = create(api, "agencies", {"name": "Kecamatan Batam Kota", "kind": "kecamatan",
                                          "puskesmas_id": ids["A"]})["id"]
    ids["kel"] = create(api, "agencies", {"name": "Kelurahan Belian", "kind": "kelurahan",
                                          "puskesmas_id": ids["A"]})["id"]
    ids["kelB"] = create(api, "agencies", {"name": "Kelurahan Tiban", "kind": "kelurahan",
                                           "puskesmas_id": ids["B"]})["id"]
    return api, ids


def rtl(api, ids, place: str, owner: str, due: str, status: str = "open", completed: str | None = None,
        moved_to: str | None = None) -> int:
    """A follow-up due at `due` (local, WIB), its status and completion written directly (and its
    puskesmas, `moved_to`: an agency working for two puskesmas)."""
    fid = create(api, f"meetings/{ids['m' + place]}/follow-ups",
                 {"title": "RTL", "owner_agency_id": ids[owner], "due_in_working_days": 5})["id"]
    with api.client.app.state.sessionmaker() as session:
        session.execute(update(models.FollowUp).where(models.FollowUp.id == fid).values(
            due_at=datetime.fromisoformat(due + WIB), status=status,
            completed_at=datetime.fromisoformat(completed + WIB) if completed else None,
            **({"puskesmas_id": ids[moved_to], "meeting_id": ids["m" + moved_to]} if moved_to else {})))
        session.commit()
    return fid


def card(api, headers=None, **params):
    r = api.get("/api/v1/scorecard", params={"from": "2026-01-01", "to": "2026-03-31", **params},
                headers=headers if headers is not None else api.admin)
    assert r.status_code == 200, r.text
    return r.json()


def row(body, agency_id):
    return next(item for item in body["items"] if item["agency_id"] == agency_id)


def test_on_time_late_and_overdue_per_agency(world):
    api, ids = world
    rtl(api, ids, "A", "kec", "2026-01-20T16:00", "done", "2026-01-19T10:00")  # on time
    rtl(api, ids, "A", "kec", "2026-01-20T16:00", "done", "2026-01-20T15:59")  # on time, the same day
    rtl(api, ids, "A", "kec", "2026-02-10T16:00", "done", "2026-02-14T09:00")  # 4 days late
    rtl(api, ids, "A", "kel", "2026-02-10T16:00", "done", "2026-02-12T09:00")  # 2 days late
    rtl(api, ids, "A", "kel", "2026-03-01T16:00", "in_progress")  # open past due: late until today
    rtl(api, ids, "A", "kel", "2026-03-02T16:00", "cancelled")  # not counted
    rtl(api, ids, "A", "kel", "2026-04-02T16:00", "done", "2026-04-10T09:00")  # due after the period
    rtl(api, ids, "A", "kel", "2025-12-31T16:00", "done", "2026-01-10T09:00")  # due before it
    body = card(api, puskesmas_id=ids["A"])
    assert (body["from"], body["to"], body["puskesmas_ids"]) == ("2026-01-01", "2026-03-31", [ids["A"]])
    kec, kel = row(body, ids["kec"]), row(body, ids["kel"])
    assert (kec["agency_name"], kec["assigned"], kec["done_on_time"], kec["done_late"], kec["open_overdue"],
            kec["median_days_late"]) == ("Kecamatan Batam Kota", 3, 2, 1, 0, 4.0)
    open_days = (datetime.now(UTC).astimezone(datetime.fromisoformat("2026-03-01T00:00" + WIB).tzinfo).date()
                 - datetime(2026, 3, 1).date()).days
    assert (kel["assigned"], kel["done_on_time"], kel["done_late"], kel["open_overdue"]) == (2, 0, 1, 1)
    assert kel["median_days_late"] == (2 + open_days) / 2
    assert [item["agency_id"] for item in body["items"]] == [ids["kel"], ids["kec"]]  # the overdue one first
    assert body["total"]["assigned"] == 5 and body["total"]["done_late"] == 2 and body["total"]["open_overdue"] == 1
    january = card(api, puskesmas_id=ids["A"], to="2026-01-31")
    assert [(i["agency_id"], i["assigned"], i["done_on_time"]) for i in january["items"]] == [(ids["kec"], 2, 2)]


def test_default_period_is_the_current_quarter(world):
    api, ids = world
    today = datetime.now(UTC) + timedelta(hours=7)
    rtl(api, ids, "A", "kec", today.strftime("%Y-%m-%dT23:00"), "open")
    body = api.get("/api/v1/scorecard", params={"puskesmas_id": ids["A"]}).json()
    quarter_start = datetime(today.year, 3 * ((today.month - 1) // 3) + 1, 1).date().isoformat()
    assert body["from"] == quarter_start and body["items"][0]["assigned"] == 1


def test_rights_follow_the_follow_ups(world):
    api, ids = world
    rtl(api, ids, "A", "kec", "2026-01-20T16:00", "done", "2026-01-19T10:00")
    rtl(api, ids, "B", "kelB", "2026-01-20T16:00", "done", "2026-01-22T10:00")
    rtl(api, ids, "B", "kelB", "2026-01-20T16:00", "open", moved_to="Z")  # a puskesmas outside the dinas's area
    own = api.headers("puskesmas", puskesmas_id=ids["A"])
    assert [i["agency_id"] for i in card(api, own)["items"]] == [ids["kec"]]  # its own, without asking
    r = api.get("/api/v1/scorecard", params={"puskesmas_id": ids["B"]}, headers=own)
    assert r.status_code == 403
    dinas = api.headers("dinas", area_code="21.71")
    across = card(api, dinas)
    assert sorted(across["puskesmas_ids"]) == sorted([ids["A"], ids["B"]])
    assert across["total"]["assigned"] == 2 and across["total"]["done_late"] == 1
    assert card(api, dinas, puskesmas_id=ids["B"])["total"]["assigned"] == 1
    assert api.get("/api/v1/scorecard", params={"puskesmas_id": ids["Z"]}, headers=dinas).status_code == 403
    agency = api.headers("agency", agency_id=ids["kelB"])
    mine = card(api, agency)
    assert [(i["agency_id"], i["assigned"]) for i in mine["items"]] == [(ids["kelB"], 2)]
    other = api.get("/api/v1/scorecard", params={"puskesmas_id": ids["A"]}, headers=agency).json()
    assert other["items"] == []  # its own row only, and it owns nothing at A
    bad = api.get("/api/v1/scorecard", params={"from": "2026-03-01", "to": "2026-01-01"})
    assert bad.status_code == 422


def _text(page: str) -> str:
    import html
    import re

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def signed_in(api, **scope):
    from fastapi.testclient import TestClient

    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    assert client.post("/login", data={"token": token, "next": "/scorecard"}, follow_redirects=False).status_code == 303
    return client


def test_the_page_for_a_puskesmas_and_a_dinas(world):
    api, ids = world
    rtl(api, ids, "A", "kec", "2026-02-10T16:00", "done", "2026-02-14T09:00")
    rtl(api, ids, "A", "kel", "2026-02-10T16:00", "done", "2026-02-12T09:00")
    rtl(api, ids, "A", "kel", "2026-02-11T16:00", "done", "2026-02-15T09:00")
    rtl(api, ids, "B", "kelB", "2026-01-20T16:00", "done", "2026-01-20T10:00")
    own = signed_in(api, role="puskesmas", puskesmas_id=ids["A"])
    page = own.get("/scorecard", params={"from": "2026-01-01", "to": "2026-03-31"})
    assert page.status_code == 200
    text = _text(page.text)
    assert "Rapor lintas sektor" in text and "Puskesmas A" in text and "1 Januari 2026 – Selasa, 31 Maret 2026" in text
    assert "Kelurahan Belian 2 0 2 0 3" in text  # median of 2 and 4 days
    assert "Jumlah 3 0 3 0 4" in text and "Kelurahan Tiban" not in text
    assert 'name="puskesmas_id"' not in page.text  # nothing to switch to
    english = _text(own.get("/scorecard", params={"from": "2026-02-10", "to": "2026-02-11", "lang": "en"}).text)
    assert "Cross-sector scorecard" in english and "Median days late" in english
    dinas = signed_in(api, role="dinas", area_code="21.71")
    across = dinas.get("/scorecard", params={"from": "2026-01-01", "to": "2026-03-31"})
    text = _text(across.text)
    assert "Semua puskesmas (2)" in text and "Kelurahan Tiban 1 1 0 0 -" in text and "Jumlah 4 1 3 0 4" in text
    one = _text(dinas.get("/scorecard", params={"from": "2026-01-01", "to": "2026-03-31",
                                               "puskesmas_id": ids["B"]}).text)
    assert "Kelurahan Belian" not in one and "Kelurahan Tiban" in one
    refused = dinas.get("/scorecard", params={"puskesmas_id": ids["Z"]})
    assert refused.status_code == 403
    wrong = dinas.get("/scorecard", params={"from": "kemarin"})
    assert wrong.status_code == 422 and "tanggal" in wrong.text
