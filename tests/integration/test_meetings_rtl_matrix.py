"""The RTL matrix's columns on follow-ups (tujuan, sasaran, lokasi, indikator keberhasilan, biaya,
sumber dana) through the API, the history and the events; and `carried_over` on a meeting: the
puskesmas's unfinished follow-ups of earlier meetings, newest meeting first, with how late each is."""

from __future__ import annotations

from datetime import timedelta

from minilok_meetings import models
from minilok_shared.db import utcnow
from sqlalchemy import update
from test_meetings_followups import new_followup, outbox_events, setup_puskesmas

MATRIX = {"objective": "ABJ naik ke 95%", "target_group": "420 KK RW 05", "location": "RW 05 Baru Tengah",
          "success_indicator": "ABJ ≥ 95% pada PJB Maret", "cost_estimate": 1_500_000, "funding_source": "dana_desa"}


def test_the_matrix_columns_are_created_patched_cleared_recorded_and_sent(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids, **MATRIX)
    assert {k: f[k] for k in MATRIX} == MATRIX
    assert {k: api.get(f"/api/v1/follow-ups/{f['id']}").json()[k] for k in MATRIX} == MATRIX
    created = outbox_events(api, "followup.created")[-1]["data"]["followup"]
    assert {k: created[k] for k in MATRIX} == MATRIX

    r = api.patch(f"/api/v1/follow-ups/{f['id']}", json={"cost_estimate": 2_250_000, "funding_source": "BOK",
                                                         "location": None})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["cost_estimate"], got["funding_source"], got["location"]) == (2_250_000, "BOK", None)
    assert got["objective"] == MATRIX["objective"]  # absent: kept
    updated = outbox_events(api, "followup.updated")[-1]["data"]["followup"]
    assert (updated["cost_estimate"], updated["funding_source"], updated["location"]) == (2_250_000, "BOK", None)

    history = api.get(f"/api/v1/follow-ups/{f['id']}/history").json()["items"]
    assert history[0]["kind"] == "created" and history[0]["data"]["funding_source"] == "dana_desa"
    change = history[-1]
    assert change["kind"] == "updated"
    assert change["data"]["before"] == {"cost_estimate": 1_500_000, "funding_source": "dana_desa",
                                        "location": "RW 05 Baru Tengah"}
    assert change["data"]["after"] == {"cost_estimate": 2_250_000, "funding_source": "BOK", "location": None}

    plain = new_followup(api, ids)  # none of them: all null
    assert all(plain[k] is None for k in MATRIX)


def test_bad_matrix_values_name_the_field(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    for field, value in (("funding_source", "APBDes"), ("cost_estimate", -1), ("cost_estimate", 1.5),
                         ("cost_estimate", "1.500.000"), ("target_group", "x" * 301)):
        r = api.post(f"/api/v1/meetings/{ids['meeting']}/follow-ups",
                     json={"title": "PSN", "owner_agency_id": ids["kelurahan"], "due_date": "2030-06-28", field: value})
        assert r.status_code == 422, (field, value, r.text)
        assert field in r.text
    f = new_followup(api, ids)
    assert api.patch(f"/api/v1/follow-ups/{f['id']}", json={"funding_source": "hibah"}).status_code == 422


def _meeting(api, ids, title: str, when: str, puskesmas=None) -> int:
    r = api.post("/api/v1/meetings", json={"puskesmas_id": puskesmas or ids["puskesmas"], "kind": "monthly_internal",
                                           "title": title, "scheduled_at": when})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_carried_over_lists_unfinished_follow_ups_of_earlier_meetings_newest_first(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)  # its meeting: 3 December 2025
    october = _meeting(api, ids, "Minilok Oktober", "2025-10-01T09:00:00+08:00")
    november = _meeting(api, ids, "Minilok November", "2025-11-05T09:00:00+08:00")
    january = _meeting(api, ids, "Minilok Januari", "2026-01-07T09:00:00+08:00")
    old = new_followup(api, {**ids, "meeting": october}, title="Pemutakhiran sasaran imunisasi", due_date="2025-10-31")
    new_followup(api, {**ids, "meeting": november}, title="PSN RW 05", due_date="2025-11-28")
    started = new_followup(api, {**ids, "meeting": november}, title="Kunjungan rumah TB", due_date="2030-01-31")
    done = new_followup(api, {**ids, "meeting": november}, title="Sudah selesai")
    cancelled = new_followup(api, {**ids, "meeting": november}, title="Dibatalkan")
    same = new_followup(api, ids, title="RTL rapat ini")
    after = new_followup(api, {**ids, "meeting": january}, title="RTL rapat berikutnya")
    owner = api.headers("agency", agency_id=ids["kelurahan"])
    assert api.post(f"/api/v1/follow-ups/{started['id']}/start", headers=owner).status_code == 200
    assert api.post(f"/api/v1/follow-ups/{done['id']}/complete", headers=owner, json={"note": "ok"}).status_code == 200
    assert api.post(f"/api/v1/follow-ups/{cancelled['id']}/cancel", json={"reason": "x"}).status_code == 200
    # Another puskesmas's unfinished work never shows.
    other = api.post("/api/v1/puskesmas", json={"code": "BT02", "name": "Puskesmas Lain", "timezone": "Asia/Makassar",
                                                "area_code": "64.71.06", "kota": "Kota Balikpapan",
                                                "provinsi": "Kalimantan Timur"}).json()["id"]
    other_agency = api.post("/api/v1/agencies", json={"name": "Kelurahan Lain", "kind": "kelurahan",
                                                      "puskesmas_id": other}).json()["id"]
    elsewhere = _meeting(api, ids, "Minilok lain", "2025-11-01T09:00:00+08:00", puskesmas=other)
    api.post(f"/api/v1/meetings/{elsewhere}/follow-ups",
             json={"title": "Bukan milik kita", "owner_agency_id": other_agency, "due_date": "2025-11-10"})

    detail = api.get(f"/api/v1/meetings/{ids['meeting']}").json()
    carried = detail["carried_over"]
    assert [c["title"] for c in carried] == ["PSN RW 05", "Kunjungan rumah TB", "Pemutakhiran sasaran imunisasi"]
    first = carried[0]
    assert first["meeting_id"] == november and first["meeting_title"] == "Minilok November"
    assert first["owner_name"] == "Kelurahan Baru Tengah" and first["status"] == "open"
    assert first["is_overdue"] is True and first["days_late"] >= 1
    assert first["due_at"].endswith("+08:00")  # in the puskesmas's own time
    assert carried[1]["status"] == "in_progress" and carried[1]["is_overdue"] is False and carried[1]["days_late"] == 0
    assert carried[2]["days_late"] > first["days_late"]
    assert {same["id"], after["id"], done["id"], cancelled["id"]}.isdisjoint(c["id"] for c in carried)
    # The first meeting has nothing before it; a later one sees what is still open, this meeting's too.
    assert api.get(f"/api/v1/meetings/{october}").json()["carried_over"] == []
    later = [c["id"] for c in api.get(f"/api/v1/meetings/{january}").json()["carried_over"]]
    assert later[0] == same["id"] and old["id"] in later


def test_carried_over_days_late_counts_local_days(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    before = _meeting(api, ids, "Minilok sebelumnya", "2025-11-05T09:00:00+08:00")
    f = new_followup(api, {**ids, "meeting": before}, title="PSN")
    with api.client.app.state.sessionmaker() as session:
        session.execute(update(models.FollowUp).where(models.FollowUp.id == f["id"])
                        .values(due_at=utcnow() - timedelta(days=10, hours=1)))
        session.commit()
    [c] = api.get(f"/api/v1/meetings/{ids['meeting']}").json()["carried_over"]
    assert c["is_overdue"] and c["days_late"] in (10, 11)


def test_carried_over_respects_rights(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    before = _meeting(api, ids, "Minilok sebelumnya", "2025-11-05T09:00:00+08:00")
    mine = new_followup(api, {**ids, "meeting": before}, title="Milik kelurahan", supporting_agency_ids=[])
    supported = new_followup(api, {**ids, "meeting": before}, title="Didukung sekolah", owner_agency_id=ids["rt"],
                             supporting_agency_ids=[ids["school"]])
    new_followup(api, {**ids, "meeting": before}, title="Milik RT", owner_agency_id=ids["rt"], supporting_agency_ids=[])
    assert api.put(f"/api/v1/meetings/{ids['meeting']}/invitations",
                   json=[ids["kelurahan"], ids["school"]]).status_code in (200, 204)
    seen = {c["title"] for c in api.get(f"/api/v1/meetings/{ids['meeting']}").json()["carried_over"]}
    assert seen == {"Milik kelurahan", "Didukung sekolah", "Milik RT"}
    kelurahan = api.get(f"/api/v1/meetings/{ids['meeting']}", headers=api.headers("agency", agency_id=ids["kelurahan"]))
    assert kelurahan.status_code == 200
    assert [c["id"] for c in kelurahan.json()["carried_over"]] == [mine["id"]]
    school = api.get(f"/api/v1/meetings/{ids['meeting']}", headers=api.headers("agency", agency_id=ids["school"]))
    assert [c["id"] for c in school.json()["carried_over"]] == [supported["id"]]
    stranger = api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 999)
    assert api.get(f"/api/v1/meetings/{ids['meeting']}", headers=stranger).status_code == 403


def test_the_documents_carry_the_matrix_the_earlier_rtl_and_the_signatures(meetings_api):
    from io import BytesIO

    from openpyxl import load_workbook
    from pypdf import PdfReader

    api = meetings_api
    ids = setup_puskesmas(api)  # a cross-sector minilok on 3 December 2025
    invited = api.put(f"/api/v1/meetings/{ids['meeting']}/invitations", json=[ids["kecamatan"], ids["kelurahan"]])
    assert invited.status_code == 200, invited.text
    earlier = _meeting(api, ids, "Minilok November", "2025-11-05T09:00:00+08:00")
    new_followup(api, {**ids, "meeting": earlier}, title="Pemutakhiran sasaran imunisasi", due_date="2025-11-28")
    new_followup(api, ids, title="PSN serentak RW 05", **MATRIX)

    sheet = load_workbook(BytesIO(api.get(f"/api/v1/meetings/{ids['meeting']}/follow-ups.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Kegiatan"], row["Tujuan"], row["Sasaran"], row["Lokasi"], row["Indikator Keberhasilan"],
            row["Biaya"], row["Sumber Dana"]) == (
        "PSN serentak RW 05", "ABJ naik ke 95%", "420 KK RW 05", "RW 05 Baru Tengah", "ABJ ≥ 95% pada PJB Maret",
        1_500_000, "Dana Desa")
    pdf = api.get(f"/api/v1/meetings/{ids['meeting']}/minutes.pdf")
    assert pdf.status_code == 200
    pages = PdfReader(BytesIO(pdf.content)).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    for expected in ("Rp 1.500.000", "Dana Desa", "420 KK RW 05", "Tindak lanjut minilok sebelumnya",
                     "Pemutakhiran sasaran imunisasi", "Minilok November", "Mengetahui,",
                     "Camat Balikpapan Barat", "Kepala Puskesmas Baru Tengah", "Kota Balikpapan, 3 Desember 2025"):
        assert expected in text, expected
    assert any(float(p.mediabox.width) > float(p.mediabox.height) for p in pages)  # the matrix on landscape
