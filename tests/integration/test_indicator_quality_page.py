"""The indicators page's completeness and outliers block, against a real indicators service (the
fixtures of test_indicators_page): "Kelengkapan laporan: 2 dari 3 kelurahan (66,7%)", who has not
reported, and a value flagged against its area's own history, in words in both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from minilok_indicators.app import create_app
from test_indicators_api import ADMIN
from test_indicators_page import dbd, indicators_url, signed_in, text_of, world  # noqa: F401 (fixtures)


def test_completeness_and_outliers_on_the_page(world, indicators_url):  # noqa: F811
    client = signed_in(world["api"], role="puskesmas", puskesmas_id=world["baloi"])
    page = text_of(client.get("/indicators?indicator=DBD_IR&area=21.71.06&period=2026-02").text)
    assert "Kelengkapan laporan: 2 dari 3 kelurahan (66,7%)" in page
    assert "Belum melapor: Belian" in page
    assert "Tidak ada nilai yang jauh dari riwayat wilayahnya sendiri." in page
    with TestClient(create_app(), base_url=indicators_url) as indicators:
        # Taman Baloi: 4 cases a month through 2025, then 40 in March 2026
        rows = [dbd("21.71.06.1005", f"2025-{m:02d}", 4 + m % 2) for m in range(3, 13)]
        response = indicators.post("/api/v1/values", headers=ADMIN, json=[*rows, dbd("21.71.06.1005", "2026-03", 40)])
        assert response.json()["rejected"] == [], response.text
    march = text_of(client.get("/indicators?indicator=DBD_IR&area=21.71.06&period=2026-03").text)
    assert "Kelengkapan laporan: 1 dari 3 kelurahan (33,3%)" in march
    assert "Belum melapor: Baloi Permai, Belian" in march
    assert "Taman Baloi · Maret 2026: 200 per 100.000 penduduk, jauh di atas biasanya 20 per 100.000 penduduk" in march
    english = text_of(client.get("/indicators?indicator=DBD_IR&area=21.71.06&period=2026-03&lang=en").text)
    assert "Reporting completeness: 1 of 3 areas at urban village level (33.3%)" in english
    assert "Taman Baloi · March 2026: 200" in english and "far above its usual" in english
