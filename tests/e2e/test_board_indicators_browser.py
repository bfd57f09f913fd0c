"""The board and the indicators page in a real browser (Debian's chromium through Playwright) at
1280 px and on a 390 px phone, against the real meetings and indicators processes: the board puts
the follow-up ten months late on top, each card names its meeting and whom it was escalated to;
on the indicators page the kecamatan is picked by typing its name, the dengue indicator by
searching its name, and the ranking reads "di atas batas" / "membaik ▼"; a puskesmas with no data
is told how to import it. Screenshots go to docs/screenshots/board-*.png and indicators-*.png
(or MINILOK_SCREENSHOTS_DIR)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from minilok_meetings.service_layer import reminders
from minilok_shared.db import make_engine
from sqlalchemy.orm import sessionmaker
from test_dashboard import CHROMIUM, CHROMIUM_ARGS, sign_in, unlabelled_fields

pytestmark = pytest.mark.e2e

from playwright import sync_api  # noqa: E402  (in requirements-dev.txt)

SHOTS = Path(os.environ.get("MINILOK_SCREENSHOTS_DIR") or Path(__file__).parents[2] / "docs" / "screenshots")
AREAS = [
    {"code": "21", "name": "Kepulauan Riau", "level": "provinsi"},
    {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21"},
    {"code": "21.71.06", "name": "Batam Kota", "level": "kecamatan", "parent_code": "21.71"},
    {"code": "21.71.06.1004", "name": "Baloi Permai", "level": "kelurahan", "parent_code": "21.71.06"},
    {"code": "21.71.06.1005", "name": "Taman Baloi", "level": "kelurahan", "parent_code": "21.71.06"},
    {"code": "21.71.06.1006", "name": "Belian", "level": "kelurahan", "parent_code": "21.71.06"},
    {"code": "21.71.06.1007", "name": "Sukajadi", "level": "kelurahan", "parent_code": "21.71.06"},
]
DBD = {"code": "DBD_IR", "name": "Angka kesakitan (incidence rate) DBD per 100.000 penduduk",
       "name_en": "Dengue incidence rate per 100,000", "unit": "per_100k", "target": 10,
       "direction": "lower_is_better", "period_type": "monthly", "denominator_aggregation": "mean"}
DS = {"code": "POSYANDU_DS", "name": "Partisipasi penimbangan balita di posyandu (D/S)", "unit": "percent",
      "target": 80, "direction": "higher_is_better", "period_type": "monthly"}
MONTHS = [f"{2025 + (m + 2) // 12}-{(m + 2) % 12 + 1:02d}" for m in range(12)]  # 2025-03 .. 2026-02
# Dengue cases a month per 20,000 people: Baloi Permai rises over the limit, Taman Baloi falls
# under it, Sukajadi stays high but falls; Belian reports nothing.
CASES = {"21.71.06.1004": [1, 1, 2, 1, 2, 2, 3, 2, 3, 3, 3, 5], "21.71.06.1005": [4, 5, 4, 4, 3, 4, 5, 4, 4, 3, 4, 1],
         "21.71.06.1007": [6, 5, 6, 7, 6, 5, 6, 7, 6, 6, 7, 4]}


def seed(system) -> dict:
    indicators = system.client("indicators")
    for path, body in (("/areas/bulk", AREAS), ("/indicators", DBD), ("/indicators", DS)):
        response = indicators.post(path, json=body)
        assert response.status_code == 201, response.text
    values = [{"indicator_code": "DBD_IR", "area_code": area, "period": month, "numerator": n, "denominator": 20_000}
              for area, cases in CASES.items() for month, n in zip(MONTHS, cases, strict=True)]
    assert indicators.post("/values", json=values).json()["rejected"] == []

    meetings = system.client("meetings")

    def create(path: str, body: dict) -> dict:
        response = meetings.post(path, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    puskesmas = create("/puskesmas", {"code": "P2171060201", "name": "Puskesmas Baloi Permai",
                                      "timezone": "Asia/Jakarta", "area_code": "21.71.06", "kota": "Kota Batam",
                                      "provinsi": "Kepulauan Riau"})
    empty = create("/puskesmas", {"code": "P6471050201", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Makassar",
                                  "area_code": "64.71.05", "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur"})
    dinkes = create("/agencies", {"name": "Dinas Kesehatan Kota Batam", "kind": "dinas_kesehatan"})
    create("/agencies", {"name": "Puskesmas Baloi Permai", "kind": "puskesmas", "puskesmas_id": puskesmas["id"],
                         "parent_id": dinkes["id"]})
    kecamatan = create("/agencies", {"name": "Kecamatan Batam Kota", "kind": "kecamatan",
                                     "puskesmas_id": puskesmas["id"]})
    kelurahan = create("/agencies", {"name": "Kelurahan Baloi Permai", "kind": "kelurahan",
                                     "puskesmas_id": puskesmas["id"], "parent_id": kecamatan["id"]})
    meeting = create("/meetings", {"puskesmas_id": puskesmas["id"], "kind": "quarterly_cross_sector",
                                   "title": "Lokmin Lintas Sektor Triwulan I",
                                   "scheduled_at": "2026-01-14T09:00:00+07:00"})
    now = datetime.now(UTC)
    followups = {}
    for key, title, due in (
            ("later", "Penyuluhan PHBS di SD Negeri 001", {"due_date": "2031-03-01"}),
            ("ten_months", "PSN 3M Plus dan pemantauan jentik di Hang Tuah",
             {"due_at": (now - timedelta(days=300)).isoformat()}),
            ("soon", "Kunjungan rumah balita gizi kurang", {"due_date": "2030-01-15"}),
            ("late", "Sweeping imunisasi dasar lengkap", {"due_at": (now - timedelta(days=30)).isoformat()})):
        followups[key] = create(f"/meetings/{meeting['id']}/follow-ups", {
            "title": title, "owner_agency_id": kelurahan["id"], **due})["id"]
    # The scan the scheduler runs every minute, once, on the meetings database.
    engine = make_engine(system.procs.env["MEETINGS_DATABASE_URL"])
    reminders.scan(sessionmaker(engine, expire_on_commit=False), now=now)
    engine.dispose()
    return {"puskesmas": puskesmas, "empty": empty, "followups": followups,
            "token": system.token("--role", "puskesmas", "--puskesmas", str(puskesmas["id"])),
            "empty_token": system.token("--role", "puskesmas", "--puskesmas", str(empty["id"]))}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page, width: int) -> None:
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.scroll'))
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""",
                         width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


def check_board(page, demo, width: int) -> None:
    page.goto("/board")
    open_ids = page.locator("[data-status=open] li.fu").evaluate_all("els => els.map(e => +e.dataset.followup)")
    f = demo["followups"]
    assert open_ids == [f["ten_months"], f["late"], f["soon"], f["later"]]
    top = " ".join(page.inner_text(f"li.fu[data-followup='{f['ten_months']}']").split())
    assert ("diteruskan ke: Kecamatan Batam Kota (tingkat 2), Dinas Kesehatan Kota Batam (tingkat 3), "
            "Puskesmas Baloi Permai (tingkat 3)") in top
    assert "Rapat: Lokmin Lintas Sektor Triwulan I · 14 Jan 2026" in top
    assert "eskalasi" not in page.inner_text("main")
    assert unlabelled_fields(page) == []
    if width <= 390:
        no_sideways_scroll(page, width)


def check_indicators(page, width: int) -> None:
    page.goto("/indicators")
    page.fill("#i-ind-filter", "dbd")  # the search box narrows the indicators by name
    assert page.locator("#i-ind option").all_inner_texts() == [DBD["name"]]
    page.select_option("#i-ind", "DBD_IR")
    page.fill("#i-area", "")
    page.type("#i-area", "batam k", delay=30)
    option = page.locator("#i-area-list li[role=option]", has_text="Batam Kota").first
    option.wait_for()
    assert "Kepulauan Riau › Kota Batam › Batam Kota" in option.inner_text()
    option.dispatch_event("mousedown")
    assert page.input_value("input[name=area]") == "21.71.06"
    page.select_option("#i-period", "2026-02")  # "Februari 2026"
    page.click("#indicator-form button[type=submit]")
    page.wait_for_selector("table.ranking")
    assert "area=21.71.06" in page.url
    rows = {r.get_attribute("data-area"): " ".join(r.inner_text().split())
            for r in page.locator("table.ranking tbody tr").all()}
    # Worst first for a lower-is-better indicator: the highest incidence on top.
    assert rows["21.71.06.1004"].startswith("1 Baloi Permai") and "di atas batas" in rows["21.71.06.1004"]
    assert "memburuk ▲" in rows["21.71.06.1004"]
    assert rows["21.71.06.1007"].startswith("2 Sukajadi") and "di atas batas" in rows["21.71.06.1007"]
    assert "membaik ▼" in rows["21.71.06.1007"]  # still over the limit, but falling
    assert "di bawah batas" in rows["21.71.06.1005"] and "membaik ▼" in rows["21.71.06.1005"]
    assert rows["21.71.06.1006"].startswith("– Belian") and "belum ada data" in rows["21.71.06.1006"]
    ticks = page.locator("svg.chart text.tick[text-anchor=middle]").all_text_contents()
    assert ticks[0] == "Mar '25" and ticks[-1] == "Feb '26"
    assert unlabelled_fields(page) == []
    if width <= 390:
        no_sideways_scroll(page, width)


def test_board_and_indicators_at_desk_and_phone_width(system):
    for name in ("meetings-api", "indicators-api"):
        system.start(name)
    for service in ("meetings", "indicators"):
        system.procs.wait_http(system.url(service, "/health"))
    demo = seed(system)
    base = system.url("meetings")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for width, height, phone in ((1280, 900, False), (390, 844, True)):
                options = {"viewport": {"width": width, "height": height}}
                if phone:
                    options.update(is_mobile=True, has_touch=True)
                context, page = sign_in(browser, base, demo["token"], **options)
                try:
                    check_board(page, demo, width)
                    shot(page, f"board-{width}")
                    check_indicators(page, width)
                    shot(page, f"indicators-{width}")
                    page.goto("/indicators?lang=en")
                    page.goto("/indicators?lang=id")
                finally:
                    context.close()
            context, page = sign_in(browser, base, demo["empty_token"], viewport={"width": 390, "height": 844},
                                    is_mobile=True, has_touch=True)
            try:
                page.goto("/indicators")
                text = " ".join(page.inner_text("main").split())
                assert "Belum ada data indikator untuk wilayah ini" in text
                assert "minilok indicators import data.csv" in text and "404" not in text
                example = page.get_attribute("a[download]", "href")
                assert httpx.get(base + example).text.startswith("indicator_code,area_code,period")
                no_sideways_scroll(page, 390)
                shot(page, "indicators-no-data-390")
            finally:
                context.close()
        finally:
            browser.close()
