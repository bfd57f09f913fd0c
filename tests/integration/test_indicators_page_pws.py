"""The indicators page the PWS way, against a real indicators service: a cumulative SPM
indicator reads its cumulative value against the month's pro-rated target, each area carries
its PWS status in words and colour with the legend, and a server-rendered SVG bar chart draws the
child areas against the target line with the month's trend."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from minilok_indicators.app import create_app
from test_indicators_api import ADMIN
from test_indicators_page import indicators_url, row, signed_in, text_of, world  # noqa: F401

SPM = {"code": "SPM_BUMIL", "name": "Pelayanan kesehatan ibu hamil sesuai standar", "unit": "percent",
       "target": 100, "direction": "higher_is_better", "period_type": "monthly",
       "denominator_aggregation": "mean", "target_basis": "cumulative"}
SERVED = {"21.71.06.1004": (10, 10, 10), "21.71.06.1005": (10, 12, 8), "21.71.06.1006": (5, 5, 7)}


def test_cumulative_statuses_legend_and_bar_chart(world, indicators_url):  # noqa: F811
    with TestClient(create_app(), base_url=indicators_url) as indicators:
        assert indicators.post("/api/v1/indicators", json=SPM, headers=ADMIN).status_code == 201
        response = indicators.post("/api/v1/values", headers=ADMIN, json=[
            {"indicator_code": "SPM_BUMIL", "area_code": area, "period": f"2026-{m:02d}", "numerator": served[m - 1],
             "denominator": 120} for area, served in SERVED.items() for m in (1, 2, 3)])
        assert response.json()["rejected"] == [], response.text
    client = signed_in(world["api"], role="puskesmas", puskesmas_id=world["baloi"])
    page = client.get("/indicators?indicator=SPM_BUMIL&area=21.71.06&period=2026-03").text
    belian, baloi, taman = row(page, "21.71.06.1006"), row(page, "21.71.06.1004"), row(page, "21.71.06.1005")
    assert belian.startswith("1 Belian") and "14,17" in belian and "target 25 (setahun 100)" in belian
    assert "bulan ini 5,83" in belian and "Cukup" in belian
    assert "Baik" in baloi and "Kurang" in taman
    assert 'class="pws pws-cukup">Cukup<' in page and 'class="pws pws-baik">Baik<' in page
    words = text_of(page)
    for legend in ("Baik mencapai target, tidak turun dari periode lalu", "Kurang mencapai target, tetapi turun",
                   "Cukup di bawah target, tetapi naik", "Jelek di bawah target, tidak naik"):
        assert legend in words
    chart = re.search(r'<svg viewBox="0 0 360 (\d+)"[^>]*class="bar-chart".*?</svg>', page, re.S)
    assert chart, "no bar chart"
    bars = re.findall(r'<rect x="0" y="[\d.]+" width="([\d.]+)" height="12" class="pwsbar pws-(\w+)">', chart[0])
    assert [status for _, status in bars] == ["cukup", "baik", "kurang"]  # worst first
    target_x = float(re.search(r'<line x1="([\d.]+)"', chart[0])[1])
    widths = [float(w) for w, _ in bars]
    assert widths[0] < target_x and abs(widths[1] - target_x) < 0.2  # 14 % short of 25 %, 25 % on it
    drawn = text_of(chart[0])
    assert "14,17 ▲ Cukup" in drawn and "25 – Baik" in drawn and "25 ▼ Kurang" in drawn
    assert "garis putus-putus: target Maret 2026 25%" in words
    assert "SPM_BUMIL" not in words and "cukup" not in re.sub(r"Cukup", "", words)
    english = text_of(client.get("/indicators?indicator=SPM_BUMIL&area=21.71.06&period=2026-03&lang=en").text)
    assert "Catching up below target, but up" in english and "Good on target, not down on last period" in english
