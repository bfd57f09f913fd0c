"""The indicators page the PWS way in a real browser (chromium through Playwright) against the
real meetings and indicators processes, at 390 px and 1280 px and printed: a cumulative SPM
indicator's areas carry their PWS colours and words, the SVG bar chart of the kelurahan against
the target line fits the phone with labels a person can read. Screenshots go to
docs/screenshots/indicators-pws-*.png (or MINILOK_SCREENSHOTS_DIR)."""

from __future__ import annotations

import pytest
from test_board_indicators_browser import AREAS, no_sideways_scroll, shot
from test_dashboard import CHROMIUM, CHROMIUM_ARGS, sign_in

pytestmark = pytest.mark.e2e

from playwright import sync_api  # noqa: E402

SPM = {"code": "SPM_BUMIL", "name": "Pelayanan kesehatan ibu hamil sesuai standar", "name_en": "Antenatal care",
       "unit": "percent", "target": 100, "direction": "higher_is_better", "period_type": "monthly",
       "denominator_aggregation": "mean", "target_basis": "cumulative"}
SERVED = {"21.71.06.1004": (10, 10, 10), "21.71.06.1005": (10, 12, 8), "21.71.06.1006": (5, 5, 7),
          "21.71.06.1007": (5, 4, 3)}
PAGE = "/indicators?indicator=SPM_BUMIL&area=21.71.06&period=2026-03"


def seed(system) -> str:
    indicators = system.client("indicators")
    for path, body in (("/areas/bulk", AREAS), ("/indicators", SPM)):
        response = indicators.post(path, json=body)
        assert response.status_code == 201, response.text
    values = [{"indicator_code": "SPM_BUMIL", "area_code": area, "period": f"2026-{m:02d}",
               "numerator": served[m - 1], "denominator": 120} for area, served in SERVED.items() for m in (1, 2, 3)]
    assert indicators.post("/values", json=values).json()["rejected"] == []
    response = system.client("meetings").post("/puskesmas", json={
        "code": "P2171060201", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
        "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})
    assert response.status_code == 201, response.text
    return system.token("--role", "puskesmas", "--puskesmas", str(response.json()["id"]))


def test_pws_colours_and_bar_chart_on_a_phone_a_desk_and_paper(system):
    for name in ("meetings-api", "indicators-api"):
        system.start(name)
    for service in ("meetings", "indicators"):
        system.procs.wait_http(system.url(service, "/health"))
    token = seed(system)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for width, height, phone in ((390, 844, True), (1280, 900, False)):
                options = {"viewport": {"width": width, "height": height}}
                if phone:
                    options.update(is_mobile=True, has_touch=True)
                context, page = sign_in(browser, system.url("meetings"), token, **options)
                try:
                    page.goto(PAGE)
                    statuses = page.locator("table.ranking tbody tr .pws").all_inner_texts()
                    assert statuses == ["Jelek", "Cukup", "Baik", "Kurang"]
                    colours = page.locator("table.ranking tbody tr .pws").evaluate_all(
                        "els => els.map(e => getComputedStyle(e).backgroundColor)")
                    assert colours == ["rgb(214, 58, 47)", "rgb(240, 138, 36)", "rgb(46, 158, 79)",
                                       "rgb(242, 208, 36)"]
                    chart = page.locator("svg.bar-chart")
                    assert chart.is_visible()
                    box = chart.bounding_box()
                    assert box["width"] <= width and box["x"] >= 0
                    # Labels stay readable: at least 10 px on screen.
                    sizes = page.locator("svg.bar-chart text").evaluate_all(
                        "els => els.map(e => e.getBoundingClientRect().height)")
                    assert min(sizes) >= 10, sizes
                    bars = page.locator("svg.bar-chart rect.pwsbar").evaluate_all(
                        "els => els.map(e => e.getAttribute('class'))")
                    assert bars == ["pwsbar pws-jelek", "pwsbar pws-cukup", "pwsbar pws-baik", "pwsbar pws-kurang"]
                    widths = page.locator("svg.bar-chart rect.pwsbar").evaluate_all(
                        "els => els.map(e => e.getBoundingClientRect().width)")
                    assert widths[0] < widths[1] < widths[2], widths  # 10 %, 14 %, 25 % drawn to scale
                    no_sideways_scroll(page, width)
                    shot(page, f"indicators-pws-{width}")
                    if phone:
                        page.emulate_media(media="print")
                        shot(page, "indicators-pws-print-390")
                        page.emulate_media(media="screen")
                finally:
                    context.close()
        finally:
            browser.close()
