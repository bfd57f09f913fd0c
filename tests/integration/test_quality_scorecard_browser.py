"""In a real browser (Chromium) at 390 and 1280 px: the Rapor page as a dinas (the puskesmas
switch, the total, a card per agency on a phone, nothing wider than the screen) and the indicators
page's completeness and outliers block. The meetings app is served on a free port over the
fixtures of test_indicators_page; screenshots go to MINILOK_SCREENSHOTS_DIR (default: tmp)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from minilok_indicators.app import create_app
from support import free_port
from test_indicators_api import ADMIN
from test_indicators_page import dbd, indicators_url, world  # noqa: F401 (fixtures)
from test_scorecard import rtl

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("MINILOK_CHROMIUM", "/usr/bin/chromium")
WIDER_THAN_SCREEN = "document.documentElement.scrollWidth > window.innerWidth + 1"


@pytest.fixture
def served(world):  # noqa: F811
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(world["api"].client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_rapor_and_quality_in_the_browser(world, served, indicators_url, tmp_path):  # noqa: F811
    api = world["api"]
    with TestClient(create_app(), base_url=indicators_url) as indicators:
        rows = [dbd("21.71.06.1005", f"2025-{m:02d}", 4 + m % 2) for m in range(3, 13)]
        indicators.post("/api/v1/values", headers=ADMIN, json=[*rows, dbd("21.71.06.1005", "2026-03", 40)])
    agencies = {}
    for name in ("Kelurahan Baloi Permai", "Kecamatan Batam Kota", "Tim Penggerak PKK Baloi Permai"):
        r = api.post("/api/v1/agencies", json={"name": name, "kind": "kelurahan", "puskesmas_id": world["baloi"]})
        agencies[name] = r.json()["id"]
    ids = {"mA": world["meeting"], **{f"a{i}": a for i, a in enumerate(agencies.values())}}
    today = time.strftime("%Y-%m")
    rtl(api, ids, "A", "a0", f"{today}-01T16:00", "done", f"{today}-01T10:00")
    rtl(api, ids, "A", "a0", f"{today}-01T16:00", "in_progress")
    rtl(api, ids, "A", "a1", f"{today}-01T16:00", "done", f"{today}-01T18:00")
    rtl(api, ids, "A", "a2", f"{today}-01T16:00", "done", f"{today}-01T09:00")
    shots = Path(os.environ.get("MINILOK_SCREENSHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    dinas = api.headers("dinas", area_code="21.71")["Authorization"].removeprefix("Bearer ")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            for width in (390, 1280):
                context = browser.new_context(base_url=served, locale="id-ID",
                                              viewport={"width": width, "height": 844 if width < 400 else 900})
                page = context.new_page()
                page.goto("/login")
                page.click("#token-way summary")
                page.fill("#token", dinas)
                page.click("#token-form button[type=submit]")
                page.wait_for_load_state()
                page.goto("/scorecard")
                assert page.locator("header nav a[href='/scorecard'][aria-current=page]").inner_text() == "Rapor"
                body = page.locator("main").inner_text()
                assert "Semua puskesmas" in body and "Kelurahan Baloi Permai" in body and "Jumlah" in body
                assert not page.evaluate(WIDER_THAN_SCREEN)
                page.screenshot(path=str(shots / f"scorecard-dinas-{width}.png"), full_page=True)
                page.emulate_media(media="print")
                assert not page.locator("header.top").is_visible() and not page.locator("form.period").is_visible()
                page.screenshot(path=str(shots / f"scorecard-print-{width}.png"), full_page=True)
                page.emulate_media(media="screen")
                page.goto(f"/indicators?indicator=DBD_IR&area=21.71.06&period=2026-03&puskesmas_id={world['baloi']}")
                quality = page.locator("section.quality").inner_text()
                assert "1 dari 3 kelurahan (33,3%)" in quality and "Taman Baloi" in quality
                assert not page.evaluate(WIDER_THAN_SCREEN)
                page.locator("section.quality").screenshot(path=str(shots / f"indicators-quality-{width}.png"))
                context.close()
        finally:
            browser.close()
