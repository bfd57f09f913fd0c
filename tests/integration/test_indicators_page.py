"""The dashboard's indicators page against a real indicators service (its app served on a free
127.0.0.1 port, its own database): a puskesmas whose area has no data sees how to import it, not a
404; a lower-is-better indicator reads "di atas batas", "membaik ▼" and "memburuk ▲"; an area
without data is not ranked; the axis names month and year; the area is chosen by name (without
the script too) and the pickers answer JSON; what is already on an agenda is not offered again."""

from __future__ import annotations

import html
import re
import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient
from minilok_indicators.app import create_app
from minilok_indicators.config import get_settings
from minilok_indicators.spec import spec
from minilok_shared.db import upgrade
from support import free_port
from test_indicators_api import ADMIN, BATAM


@pytest.fixture
def indicators_url(database_url, monkeypatch):
    url = database_url("indicators")
    monkeypatch.setenv("INDICATORS_DATABASE_URL", url)
    get_settings.cache_clear()
    upgrade(spec.migrations, url, "indicators")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the indicators app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    get_settings.cache_clear()


DBD = {"code": "DBD_IR", "name": "Angka kesakitan DBD per 100.000 penduduk", "name_en": "Dengue incidence rate",
       "unit": "per_100k", "target": 10, "direction": "lower_is_better", "period_type": "monthly",
       "denominator_aggregation": "mean"}


def dbd(area: str, period: str, cases: int) -> dict:
    return {"indicator_code": "DBD_IR", "area_code": area, "period": period, "numerator": cases,
            "denominator": 20_000}


@pytest.fixture
def world(meetings_api, indicators_url, monkeypatch):
    api = meetings_api
    monkeypatch.setattr(api.client.app.state.settings, "indicators_url", indicators_url)
    indicators = TestClient(create_app(), base_url=indicators_url)
    with indicators:
        for path, body in (("/api/v1/areas/bulk", BATAM), ("/api/v1/indicators", DBD)):
            response = indicators.post(path, json=body, headers=ADMIN)
            assert response.status_code == 201, response.text
        # Baloi Permai: 3 then 5 cases (15 → 25 per 100,000, over the limit and rising); Taman
        # Baloi: 4 then 1 (20 → 5, falling under it); Belian reports nothing.
        response = indicators.post("/api/v1/values", headers=ADMIN, json=[
            dbd("21.71.06.1004", "2026-01", 3), dbd("21.71.06.1004", "2026-02", 5),
            dbd("21.71.06.1005", "2026-01", 4), dbd("21.71.06.1005", "2026-02", 1)])
        assert response.json()["rejected"] == [], response.text

    def puskesmas(code: str, name: str, area: str) -> int:
        response = api.post("/api/v1/puskesmas", json={"code": code, "name": name, "timezone": "Asia/Jakarta",
                                                       "area_code": area, "kota": "Kota Batam",
                                                       "provinsi": "Kepulauan Riau"})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    baloi = puskesmas("BP01", "Puskesmas Baloi Permai", "21.71.06")
    empty = puskesmas("BT01", "Puskesmas Baru Tengah", "64.71.01")  # its area was never loaded
    meeting = api.post("/api/v1/meetings", json={"puskesmas_id": baloi, "kind": "monthly_internal",
                                                 "title": "Lokmin bulanan Maret",
                                                 "scheduled_at": "2030-03-04T09:00:00+07:00"})
    assert meeting.status_code == 201, meeting.text
    return {"api": api, "baloi": baloi, "empty": empty, "meeting": meeting.json()["id"]}


def signed_in(api, **scope) -> TestClient:
    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    response = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def text_of(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def row(page: str, area_code: str) -> str:
    found = re.search(rf'<tr class="[^"]*" data-area="{re.escape(area_code)}">(.*?)</tr>', page, re.S)
    assert found, area_code
    return text_of(found[1])


def test_a_puskesmas_without_indicator_data_is_told_how_to_import_it(world):
    page = signed_in(world["api"], role="puskesmas", puskesmas_id=world["empty"]).get("/indicators")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Belum ada data indikator untuk wilayah ini" in words
    assert "minilok indicators import data.csv" in words and "contoh ini" in words
    assert "404" not in words and "tidak ditemukan" not in words and "64.71.01" not in words
    english = text_of(signed_in(world["api"], role="puskesmas", puskesmas_id=world["empty"])
                      .get("/indicators?lang=en").text)
    assert "No indicator data for this area yet" in english


def test_lower_is_better_reads_over_the_limit_and_a_fall_improves(world):
    client = signed_in(world["api"], role="puskesmas", puskesmas_id=world["baloi"])
    page = client.get("/indicators?indicator=DBD_IR&area=21.71.06&period=2026-02").text
    baloi, taman, belian = row(page, "21.71.06.1004"), row(page, "21.71.06.1005"), row(page, "21.71.06.1006")
    assert baloi.startswith("1 Baloi Permai Kelurahan 25") and "di atas batas" in baloi and "memburuk ▲" in baloi
    assert taman.startswith("2 Taman Baloi") and "di bawah batas" in taman and "membaik ▼" in taman
    assert belian.startswith("– Belian") and "belum ada data" in belian  # never ranked best or worst
    assert "di bawah target" not in text_of(page)
    assert "Feb '26" in text_of(page) and "Jan '26" in text_of(page)  # month and year on the axis
    assert "Februari 2026" in text_of(page) and "2026-02" not in text_of(page)
    assert 'class="trend good">membaik ▼' in page and 'class="trend bad">memburuk ▲' in page


def test_the_area_is_chosen_by_name_and_the_pickers_answer_json(world):
    client = signed_in(world["api"], role="puskesmas", puskesmas_id=world["baloi"])
    page = client.get("/indicators?indicator=DBD_IR&area_q=baloi+permai&period=2026-02").text
    assert "Tren 12 bulan · Baloi Permai" in text_of(page)
    assert "Kepulauan Riau › Kota Batam › Batam Kota › Baloi Permai" in text_of(page)
    # A name typed over the code the page had (no script to clear it) wins.
    page = client.get("/indicators?indicator=DBD_IR&area=21.71.06&area_q=Taman+Baloi&period=2026-02").text
    assert "Tren 12 bulan · Taman Baloi" in text_of(page)
    assert "Tidak ada wilayah bernama «zzz»" in text_of(client.get("/indicators?area_q=zzz").text)

    found = client.get("/pickers/areas", params={"q": "bal", "parent": "21.71.06"})
    assert found.status_code == 200 and found.headers["content-type"].startswith("application/json")
    items = found.json()["items"]
    assert [i["name"] for i in items] == ["Baloi Permai", "Taman Baloi"]
    beneath_first = client.get("/pickers/areas", params={"q": "batam", "parent": "21.71.06"}).json()["items"]
    assert [i["name"] for i in beneath_first] == ["Batam Kota", "Kota Batam"]  # the home area itself too
    assert items[0]["level_label"] == "Kelurahan"
    assert items[0]["path_name"] == "Kepulauan Riau › Kota Batam › Batam Kota › Baloi Permai"
    assert [i["code"] for i in client.get("/pickers/indicators", params={"q": "dbd"}).json()["items"]] == ["DBD_IR"]
    assert TestClient(world["api"].client.app).get("/pickers/areas", params={"q": "bal"}).status_code == 401


def test_an_area_already_on_an_agenda_is_not_offered_again(world):
    client = signed_in(world["api"], role="puskesmas", puskesmas_id=world["baloi"])
    url = "/indicators?indicator=DBD_IR&area=21.71.06&period=2026-02"
    page = client.get(url).text
    assert page.count('action="/indicators/propose"') == 1  # only Baloi Permai is over its limit
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    form = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"',
                           page.split('action="/indicators/propose"', 1)[1].split("</form>", 1)[0]))
    response = client.post("/indicators/propose", data={**form, "csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/meetings/{world['meeting']}"
    agenda = world["api"].get(f"/api/v1/meetings/{world['meeting']}").json()["agenda"]
    assert [a["title"] for a in agenda] == [
        "Capaian Angka kesakitan DBD per 100.000 penduduk di Baloi Permai Februari 2026 di atas batas (25 > 10)"]
    page = client.get(url).text
    assert 'action="/indicators/propose"' not in page
    assert "sudah di agenda Lokmin bulanan Maret" in row(page, "21.71.06.1004")
