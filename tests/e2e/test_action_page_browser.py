"""The action page on a 390 px phone in a real browser (Debian's chromium driven by Playwright)
against the real meetings API: open the link, tap Diterima, open the progress form, then Selesai
with a note and a photo; an expired link gets a kind page. Screenshots go to
MINILOK_SCREENSHOTS_DIR (default: the test's temporary directory)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from minilok_shared.action_links import mint_action_token
from PIL import Image

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("MINILOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# Fails, never skips, without a browser (as test_dashboard.py).
from playwright import sync_api  # noqa: E402

if not Path(CHROMIUM).exists():
    raise RuntimeError(f"no chromium at {CHROMIUM}: apt-get install chromium, or set MINILOK_CHROMIUM")


def set_up(system) -> tuple[dict, dict]:
    meetings = system.client("meetings")
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P2171060", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta", "area_code": "21.71.06",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()
    kelurahan = meetings.post("/agencies", json={"name": "Kelurahan Baloi Permai", "kind": "kelurahan",
                                                 "puskesmas_id": puskesmas["id"]}).json()
    meeting = meetings.post("/meetings", json={
        "puskesmas_id": puskesmas["id"], "kind": "quarterly_cross_sector",
        "title": "Lokakarya mini lintas sektor triwulan I", "scheduled_at": "2026-02-18T09:00:00+07:00"}).json()
    due = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    r = meetings.post(f"/meetings/{meeting['id']}/follow-ups", json={
        "title": "Pemberantasan sarang nyamuk di Hang Tuah, Mediterania dan Bida Asri",
        "action": "PSN serentak dan abatisasi bersama kader jumantik", "owner_agency_id": kelurahan["id"],
        "due_at": due})
    assert r.status_code == 201, r.text
    return r.json(), kelurahan


def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "psn-hang-tuah.png"
    image = Image.new("RGB", (1200, 900), (40, 150, 90))
    out = BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def test_action_page_on_a_phone(system, tmp_path):
    shots = Path(os.environ.get("MINILOK_SCREENSHOTS_DIR") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    system.start("meetings-api")
    system.procs.wait_http(system.url("meetings", "/health"))
    followup, kelurahan = set_up(system)
    secret = system.procs.env["MINILOK_SECRET"]
    token = mint_action_token(secret, followup["id"], kelurahan["id"], datetime.fromisoformat(followup["due_at"]))
    expired = mint_action_token(secret, followup["id"], kelurahan["id"], datetime.now(UTC) - timedelta(days=31))

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=system.url("meetings"), viewport={"width": 390, "height": 844},
                                      locale="id-ID", device_scale_factor=1, is_mobile=True, has_touch=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(f"/a/{token}")
        assert "Puskesmas Baloi Permai" in page.content() and "terlambat 3 hari" in page.content()
        # Fits the phone: nothing wider than the viewport, the four buttons big enough to tap.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for name in ("Diterima", "Laporkan kemajuan", "Selesai", "Minta perpanjangan"):
            box = page.get_by_text(name, exact=True).first.bounding_box()
            assert box and box["height"] >= 44 and box["width"] >= 300, (name, box)
        page.screenshot(path=str(shots / "h4-fresh.png"), full_page=True)

        page.get_by_role("button", name="Diterima").tap()
        page.wait_for_selector(".done-box")
        assert "Terima kasih, tindak lanjut sudah Anda terima." in page.inner_text(".done-box")
        assert page.get_by_role("button", name="Diterima").count() == 0
        page.screenshot(path=str(shots / "h4-acknowledged.png"), full_page=True)

        page.get_by_text("Laporkan kemajuan", exact=True).tap()
        page.wait_for_selector("#p-note", state="visible")
        page.screenshot(path=str(shots / "h4-progress-form.png"), full_page=True)
        page.get_by_text("Laporkan kemajuan", exact=True).tap()  # folds it again

        page.locator("#complete > summary").tap()
        page.fill("#c-note", "PSN serentak selesai di tiga RW; jentik tidak ditemukan lagi.")
        page.set_input_files("#c-photo", str(png_file(tmp_path)))
        page.get_by_role("button", name="Tandai selesai").tap()
        page.wait_for_selector(".done-box")
        text = page.inner_text("main")
        assert "Tindak lanjut ini sudah selesai." in text and "Selesai" in text
        assert page.locator("details.action").count() == 0
        assert "Kelurahan Baloi Permai (lewat tautan)" in text
        thumb = page.locator(".history .thumbs img")
        assert thumb.count() == 1 and thumb.evaluate("img => img.complete && img.naturalWidth > 0")
        page.screenshot(path=str(shots / "h4-finished.png"), full_page=True)

        response = page.goto(f"/a/{expired}")
        assert response.status == 410 and "Tautan ini sudah kedaluwarsa" in page.inner_text("main")
        page.screenshot(path=str(shots / "h4-expired.png"), full_page=True)
        browser.close()
