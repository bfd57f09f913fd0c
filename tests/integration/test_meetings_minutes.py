"""Agenda, daftar hadir, notulen and publishing, and the PDF/XLSX documents, through the meetings
API on a real database (SQLite or PostgreSQL by MINILOK_TEST_DB)."""

from __future__ import annotations

import json
from datetime import datetime
from io import BytesIO

import pytest
from minilok_meetings import models
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, select


@pytest.fixture
def baloi(meetings_api) -> dict:
    """Puskesmas Baloi Permai (WIB) with its own agencies, a global one, another puskesmas's
    agency, and the 18 February 2026 cross-sector minilok."""
    api = meetings_api

    def create(path, body):
        response = api.post(f"/api/v1/{path}", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    pid = create("puskesmas", {"code": "BP01", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
                               "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})
    other = create("puskesmas", {"code": "BT01", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Makassar",
                                 "area_code": "64.71.05", "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur"})
    ids = {
        "api": api, "puskesmas": pid, "other_puskesmas": other,
        "kecamatan": create("agencies", {"name": "Kecamatan Batam Kota", "kind": "kecamatan", "puskesmas_id": pid}),
        "kelurahan": create("agencies", {"name": "Kelurahan Baloi Permai", "kind": "kelurahan", "puskesmas_id": pid}),
        "dinsos": create("agencies", {"name": "Dinas Sosial Kota Batam", "kind": "dinas_sosial"}),
        "foreign": create("agencies", {"name": "Kelurahan Baru Tengah", "kind": "kelurahan", "puskesmas_id": other}),
        "token": api.headers("puskesmas", puskesmas_id=pid),
        "other_token": api.headers("puskesmas", puskesmas_id=other),
    }
    ids["meeting"] = create("meetings", {"puskesmas_id": pid, "kind": "quarterly_cross_sector",
                                         "title": "Lokmin Lintas Sektor Triwulan I",
                                         "scheduled_at": "2026-02-18T09:00:00+07:00", "location": "Aula Kecamatan"})
    return ids


def url(ids, tail: str = "") -> str:
    return f"/api/v1/meetings/{ids['meeting']}{tail}"


def outbox_types(api) -> list[str]:
    with api.client.app.state.sessionmaker() as session:
        return [json.loads(body)["type"] for body in session.scalars(select(models.outbox.c.body))]


# --- agenda ------------------------------------------------------------------------------


def test_agenda_items_are_numbered_in_order(baloi):
    api, token = baloi["api"], baloi["token"]
    first = api.post(url(baloi, "/agenda"), headers=token, json={"title": "Laporan SPM 2025",
                                                                  "presenter_agency_id": baloi["kecamatan"]})
    assert first.status_code == 201, first.text
    assert first.json()["position"] == 1 and first.json()["meeting_id"] == baloi["meeting"]
    second = api.post(url(baloi, "/agenda"), json={"title": "Situasi DBD", "indicator_code": "DBD_IR",
                                                   "notes": "Hang Tuah, Mediterania, Bida Asri",
                                                   "presenter_agency_id": baloi["dinsos"]})
    assert second.status_code == 201, second.text
    assert (second.json()["position"], second.json()["indicator_code"]) == (2, "DBD_IR")

    detail = api.get(url(baloi), headers=token).json()
    assert [a["title"] for a in detail["agenda"]] == ["Laporan SPM 2025", "Situasi DBD"]
    assert detail["attendance"] == [] and detail["follow_ups"] == []


@pytest.mark.parametrize("body", [
    {"title": "x", "presenter_agency_id": "foreign"},
    {"title": "x", "presenter_agency_id": 999_999},
])
def test_agenda_presenter_must_be_an_agency_of_the_puskesmas(baloi, body):
    body = {**body, "presenter_agency_id": baloi.get(body["presenter_agency_id"], body["presenter_agency_id"])}
    response = baloi["api"].post(url(baloi, "/agenda"), json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "presenter_agency_id"]


def test_agenda_errors(baloi):
    api = baloi["api"]
    assert api.post("/api/v1/meetings/999999/agenda", json={"title": "x"}).status_code == 404
    assert api.post(url(baloi, "/agenda"), json={"title": ""}).status_code == 422
    assert api.post(url(baloi, "/agenda"), json={"title": "x"}, headers=baloi["other_token"]).status_code == 403
    assert api.post(url(baloi, "/agenda"), json={"title": "x"},
                    headers=api.headers("agency", agency_id=baloi["kelurahan"])).status_code == 403
    assert api.client.post(url(baloi, "/agenda"), json={"title": "x"}).status_code == 401


# --- attendance --------------------------------------------------------------------------


def test_attendance_replaces_the_daftar_hadir(baloi):
    api, token = baloi["api"], baloi["token"]
    rows = [
        {"agency_id": baloi["kecamatan"], "person_name": "Camat Batam Kota", "role": "Camat", "present": True},
        {"agency_id": baloi["dinsos"], "person_name": "Perwakilan Dinas Sosial", "present": False},
    ]
    response = api.put(url(baloi, "/attendance"), headers=token, json=rows)
    assert response.status_code == 200, response.text
    assert [(r["person_name"], r["role"], r["present"]) for r in response.json()] == [
        ("Camat Batam Kota", "Camat", True), ("Perwakilan Dinas Sosial", None, False)]

    response = api.put(url(baloi, "/attendance"), headers=token,
                       json=[{"agency_id": baloi["kelurahan"], "person_name": "Lurah Baloi Permai", "present": True}])
    assert response.status_code == 200
    detail = api.get(url(baloi)).json()
    assert [a["person_name"] for a in detail["attendance"]] == ["Lurah Baloi Permai"]

    assert api.put(url(baloi, "/attendance"), headers=token, json=[]).json() == []
    assert api.get(url(baloi)).json()["attendance"] == []


def test_attendance_names_each_bad_agency_by_index(baloi):
    api = baloi["api"]
    rows = [
        {"agency_id": baloi["kecamatan"], "person_name": "Camat", "present": True},
        {"agency_id": baloi["foreign"], "person_name": "Lurah Baru Tengah", "present": True},
        {"agency_id": 999_999, "person_name": "Siapa", "present": True},
    ]
    response = api.put(url(baloi, "/attendance"), json=rows)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", 1, "agency_id"], ["body", 2, "agency_id"]]
    assert "tidak ada" in response.json()["detail"][0]["msg"]
    # Nothing was replaced.
    assert api.get(url(baloi)).json()["attendance"] == []

    response = api.put(url(baloi, "/attendance"), json=[{"agency_id": baloi["kecamatan"], "present": True}])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 0, "person_name"]
    assert api.put(url(baloi, "/attendance"), json={"agency_id": 1}).status_code == 422
    assert api.put("/api/v1/meetings/999999/attendance", json=[]).status_code == 404
    assert api.put(url(baloi, "/attendance"), json=[], headers=baloi["other_token"]).status_code == 403


# --- minutes and publishing --------------------------------------------------------------


def test_minutes_then_publish_once(baloi):
    api, token = baloi["api"], baloi["token"]
    response = api.post(url(baloi, "/publish"), headers=token)
    assert response.status_code == 409
    assert "belum punya notulen" in response.json()["detail"]

    response = api.post(url(baloi, "/minutes"), headers=token, json={"summary": "Draf", "decisions": []})
    assert response.status_code == 200, response.text
    minutes = {"summary": "Kasus DBD terbanyak di Hang Tuah, Mediterania dan Bida Asri.",
               "decisions": ["Gerakan PSN serentak setiap Jumat", "Aktivasi BPJS pasien kronis lewat Dinas Sosial"]}
    response = api.post(url(baloi, "/minutes"), headers=token, json=minutes)
    assert response.status_code == 200
    assert response.json()["summary"] == minutes["summary"]
    assert response.json()["decisions"] == minutes["decisions"]
    assert response.json()["status"] == "scheduled" and response.json()["published_at"] is None

    response = api.post(url(baloi, "/publish"), headers=token)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    assert datetime.fromisoformat(response.json()["published_at"]).tzinfo is not None
    assert outbox_types(api).count("meeting.minutes_published") == 1

    assert api.post(url(baloi, "/publish"), headers=token).status_code == 409
    assert api.post(url(baloi, "/minutes"), headers=token, json=minutes).status_code == 409
    assert api.post(url(baloi, "/agenda"), headers=token, json={"title": "Terlambat"}).status_code == 409
    assert api.put(url(baloi, "/attendance"), headers=token, json=[]).status_code == 409
    assert outbox_types(api).count("meeting.minutes_published") == 1
    detail = api.get(url(baloi), headers=token).json()
    assert detail["status"] == "published" and detail["decisions"] == minutes["decisions"]


def test_minutes_errors(baloi):
    api = baloi["api"]
    assert api.post(url(baloi, "/minutes"), json={"summary": "", "decisions": []}).status_code == 422
    response = api.post(url(baloi, "/minutes"), json={"summary": "ok", "decisions": ["", "x"]})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "decisions", 0]
    assert api.post("/api/v1/meetings/999999/minutes", json={"summary": "ok"}).status_code == 404
    assert api.post("/api/v1/meetings/999999/publish").status_code == 404
    assert api.post(url(baloi, "/minutes"), json={"summary": "ok"}, headers=baloi["other_token"]).status_code == 403
    assert api.post(url(baloi, "/publish"), headers=baloi["other_token"]).status_code == 403


# --- documents ---------------------------------------------------------------------------


def fill_meeting(baloi, followups: int = 2) -> None:
    api = baloi["api"]
    api.post(url(baloi, "/agenda"), json={"title": "Situasi DBD", "presenter_agency_id": baloi["kecamatan"]})
    api.put(url(baloi, "/attendance"), json=[
        {"agency_id": baloi["kecamatan"], "person_name": "Camat Batam Kota", "role": "Camat", "present": True},
        {"agency_id": baloi["dinsos"], "person_name": "Perwakilan Dinas Sosial", "present": True},
    ])
    api.post(url(baloi, "/minutes"), json={"summary": "DBD naik di Hang Tuah.",
                                           "decisions": ["Gerakan PSN serentak setiap Jumat"]})
    for n in range(followups):
        response = api.post(url(baloi, "/follow-ups"), json={
            "title": f"PSN di RW 0{n + 1} Hang Tuah", "problem": "ABJ rendah", "action": "Kerja bakti",
            "owner_agency_id": baloi["kelurahan"], "supporting_agency_ids": [baloi["kecamatan"], baloi["dinsos"]],
            "due_date": "2026-02-20", "priority": "high"})
        assert response.status_code == 201, response.text


def test_minutes_pdf(baloi):
    fill_meeting(baloi)
    api = baloi["api"]
    assert api.post(url(baloi, "/publish")).status_code == 200
    response = api.get(url(baloi, "/minutes.pdf"), headers=baloi["token"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="notulen-lokmin-{baloi["meeting"]}-2026-02-18.pdf"')
    assert response.content.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(response.content)).pages).split())
    for expected in ("Notulen Lokakarya Mini", "Daftar Hadir", "Agenda", "Ringkasan", "Keputusan",
                     "Rencana Tindak Lanjut", "Puskesmas Baloi Permai", "Camat Batam Kota", "Situasi DBD",
                     "Gerakan PSN serentak setiap Jumat", "PSN di RW 01 Hang Tuah", "Kelurahan Baloi Permai",
                     "Jumat, 20 Februari 2026 23.59 WIB", "Rabu, 18 Februari 2026 09.00 WIB"):
        assert expected in text, expected


def test_followups_xlsx(baloi):
    fill_meeting(baloi)
    api = baloi["api"]
    response = api.get(url(baloi, "/follow-ups.xlsx"), headers=baloi["token"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="rtl-lokmin-{baloi["meeting"]}-2026-02-18.xlsx"')
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("No", "Kegiatan", "Rincian", "Tujuan", "Sasaran", "Lokasi", "Indikator Keberhasilan", "Biaya",
                       "Sumber Dana", "Penanggung Jawab", "Waktu", "Status", "Lembaga Pendukung", "Masalah",
                       "Prioritas", "Eskalasi")
    assert len(rows) == 3
    row = dict(zip(rows[0], rows[1], strict=True))
    number, title, problem, action, owner = (row[k] for k in ("No", "Kegiatan", "Masalah", "Rincian",
                                                              "Penanggung Jawab"))
    assert (number, title, problem, action, owner) == (1, "PSN di RW 01 Hang Tuah", "ABJ rendah", "Kerja bakti",
                                                       "Kelurahan Baloi Permai")
    assert row["Lembaga Pendukung"] == "Kecamatan Batam Kota, Dinas Sosial Kota Batam"
    assert row["Waktu"] == datetime(2026, 2, 20, 23, 59, 59)  # local WIB wall-clock time, a real Excel date
    assert sheet.cell(2, rows[0].index("Waktu") + 1).is_date
    status, priority, level = row["Status"], row["Prioritas"], row["Eskalasi"]
    assert status.startswith("Terbuka") and priority == "Tinggi" and level is None  # never escalated: empty
    assert sheet.freeze_panes == "A2"


def test_documents_of_an_empty_meeting_and_errors(baloi):
    api = baloi["api"]
    assert api.get(url(baloi, "/minutes.pdf")).status_code == 200
    sheet = load_workbook(BytesIO(api.get(url(baloi, "/follow-ups.xlsx")).content)).active
    assert sheet.max_row == 1
    for tail in ("/minutes.pdf", "/follow-ups.xlsx"):
        assert api.get(f"/api/v1/meetings/999999{tail}").status_code == 404
        assert api.get(url(baloi, tail), headers=baloi["other_token"]).status_code == 403
        assert api.client.get(url(baloi, tail)).status_code == 401


def test_documents_read_each_table_once_however_many_follow_ups(baloi):
    """No N+1: the same number of queries for 1 follow-up as for 8."""
    api = baloi["api"]
    engine = api.client.app.state.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    fill_meeting(baloi, followups=1)
    event.listen(engine, "before_cursor_execute", record)
    try:
        counts = []
        for _ in range(2):
            statements.clear()
            for tail in ("/minutes.pdf", "/follow-ups.xlsx"):
                assert api.get(url(baloi, tail)).status_code == 200
            counts.append(len(statements))
            fill_meeting(baloi, followups=7)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert counts[0] == counts[1], counts
