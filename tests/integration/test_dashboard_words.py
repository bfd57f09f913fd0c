"""The dashboard names people, agencies and errors in words: the header says who is signed in by
role and name, the agency page lists kinds, channels and event types in words, and an error page
is a sentence in the page's language with what to do next."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


def create(api, path, body):
    response = api.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def signed_in(api, **scope) -> TestClient:
    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    response = client.post("/login", data={"token": token, "next": "/agency"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def header(page: str) -> str:
    return re.search(r'<span class="who">(.*?)</span>', page).group(1)


@pytest.fixture
def world(meetings_api):
    api = meetings_api
    pid = create(api, "puskesmas", {"code": "BT01", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Makassar",
                                    "area_code": "64.71.01", "kota": "Kota Balikpapan",
                                    "provinsi": "Kalimantan Timur"})
    kelurahan = create(api, "agencies", {"name": "Kelurahan Baru Tengah", "kind": "kelurahan", "puskesmas_id": pid})
    create(api, "agencies", {"name": "Dinas Kesehatan Kota Balikpapan", "kind": "dinas_kesehatan"})
    create(api, "agencies", {"name": "Tokoh Agama", "kind": "tokoh_masyarakat", "puskesmas_id": pid})
    return api, pid, kelurahan


def test_the_header_names_the_role_and_the_puskesmas(world):
    api, pid, _ = world
    client = signed_in(api, role="puskesmas", puskesmas_id=pid)
    assert header(client.get("/agency").text) == "Petugas puskesmas · Puskesmas Baru Tengah"
    assert header(client.get("/agency?lang=en").text) == "Puskesmas staff · Puskesmas Baru Tengah"


def test_the_header_names_an_agency_user_by_its_agency(world):
    api, _, kelurahan = world
    client = signed_in(api, role="agency", agency_id=kelurahan)
    page = client.get("/agency").text
    assert header(page) == "Lembaga · Kelurahan Baru Tengah"
    assert f"L{kelurahan}" not in header(page)


def test_agency_kinds_channels_and_event_types_in_words(world):
    api, pid, kelurahan = world
    client = signed_in(api, role="puskesmas", puskesmas_id=pid)
    listing = client.get("/agency").text
    assert "Dinas Kesehatan</span>" in listing and "Tokoh masyarakat</span>" in listing
    assert "dinas_kesehatan" not in listing and "tokoh_masyarakat" not in listing
    page = client.get(f"/agency?agency_id={kelurahan}").text
    for words in ("Semua kabar tindak lanjut", "Tindak lanjut segera jatuh tempo", "Semua kabar lokakarya mini",
                  "Webhook (sistem lain)", "0812 3456 7890"):
        assert words in page
    shown = re.sub(r"<[^>]+>", " ", re.sub(r'value="[^"]*"|<(script|style)[^>]*>.*?</\1>', "", page, flags=re.S))
    assert "followup." not in shown and "meeting." not in shown and "due_soon" not in shown
    english = client.get(f"/agency?agency_id={kelurahan}&lang=en").text
    assert "All follow-up news" in english and "All mini workshop news" in english


def test_an_unreachable_notifications_service_is_a_sentence(world):
    api, pid, kelurahan = world
    client = signed_in(api, role="puskesmas", puskesmas_id=pid)
    page = client.get(f"/agency?agency_id={kelurahan}").text
    assert "ConnectError" not in page and "Error" not in re.sub(r"<[^>]+>", "", page)


@pytest.mark.parametrize("lang,title,sentence,next_step", [
    ("id", "Halaman tidak ditemukan", "Lembaga tidak ditemukan", "Periksa tautan"),
    ("en", "Page not found", "Agency was not found", "Check the link"),
])
def test_an_error_page_is_a_sentence_with_what_to_do(world, lang, title, sentence, next_step):
    api, pid, _ = world
    client = signed_in(api, role="puskesmas", puskesmas_id=pid)
    page = client.get(f"/agency?agency_id=999999&lang={lang}")
    assert page.status_code == 404
    assert title in page.text and sentence in page.text and next_step in page.text
    assert "999999" not in re.sub(r'href="[^"]*"', "", page.text) and "/ not found" not in page.text


def test_an_error_page_for_another_puskesmas(world):
    api, pid, _ = world
    other = create(api, "puskesmas", {"code": "SK01", "name": "Puskesmas Lain", "timezone": "Asia/Jakarta",
                                      "area_code": "SK01", "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})
    secret = create(api, "agencies", {"name": "Kelurahan Lain", "kind": "kelurahan", "puskesmas_id": other})
    client = signed_in(api, role="puskesmas", puskesmas_id=pid)
    page = client.get(f"/agency?agency_id={secret}")
    assert page.status_code == 403
    assert "Bukan untuk akun ini" in page.text and "Tidak diizinkan" in page.text
    assert "not allowed" not in page.text


def test_a_dinas_overview_names_its_area_not_its_code(world):
    api, pid, _ = world
    client = TestClient(api.client.app)
    token = api.headers("dinas", area_code="64.71")["Authorization"].removeprefix("Bearer ")
    assert client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False).status_code == 303
    page = client.get("/").text
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    # The indicators service (where area names live) is not running here: the puskesmas's kota.
    assert heading == "Puskesmas di Kota Balikpapan" and "64.71" not in heading
    assert header(page) == "Dinas kesehatan"


def _followup(api, pid: int, owner: int) -> int:
    meeting = create(api, "meetings", {"puskesmas_id": pid, "kind": "monthly_internal", "title": "Rapat bulanan",
                                       "scheduled_at": "2026-01-05T09:00:00+08:00"})
    return create(api, f"meetings/{meeting}/follow-ups", {"title": "Kunjungan rumah", "owner_agency_id": owner,
                                                          "due_date": "2026-12-31"})


def _csrf(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("lang,expected", [
    ("id", ["Persentase: paling besar 100", "Tautan bukti: bukan alamat web yang valid"]),
    ("en", ["Percent: must be at most 100", "Evidence link: is not a valid web address"]),
])
def test_a_refused_form_is_a_sentence_naming_the_field(world, lang, expected):
    api, pid, kelurahan = world
    fid = _followup(api, pid, kelurahan)
    client = signed_in(api, role="puskesmas", puskesmas_id=pid)
    page = client.get(f"/follow-ups/{fid}?lang={lang}").text
    answer = client.post(f"/follow-ups/{fid}/progress", data={
        "csrf": _csrf(page), "note": "x", "percent": "150", "evidence_url": "bukan url"})
    flash = re.search(r'<p class="flash error" role="status">(.*?)</p>', answer.text, re.S).group(1)
    for words in expected:
        assert words in flash, flash
    for raw in ("percent", "evidence_url", "loc", "Input should", "422"):
        assert raw not in flash, flash
