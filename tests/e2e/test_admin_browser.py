"""The puskesmas's own settings in a real browser (Debian's chromium) against real processes, at
1280 px and on a 390 px phone: the head of Puskesmas Baru Tengah adds the kelurahan and an RT under
it (the area chosen by name from the indicators service), gives the RT a contact typed as people
write a number, sees the parent chain as a path, changes the escalation policy and adds a day off,
and reads all of it in words. Screenshots go to MINILOK_SCREENSHOTS_DIR when set
(docs/screenshots/admin-*.png)."""

from __future__ import annotations

import re

import pytest
from test_dashboard import CHROMIUM, CHROMIUM_ARGS, sign_in, unlabelled_fields
from test_sign_in_browser import shot

pytestmark = pytest.mark.e2e

from playwright import sync_api  # noqa: E402  (in requirements-dev.txt)

# Codes a person would not say aloud: kinds, targets, durations, E.164 numbers, ISO dates.
RAW = re.compile(r"dinas_kesehatan|owner_parent|agency:\d|\bP\d+D\b|\+62\d|\b\d{4}-\d{2}-\d{2}\b|Asia/")


def page_text(page) -> str:
    return " ".join(page.inner_text("main").split())


def set_up(system) -> dict:
    indicators = system.client("indicators")
    r = indicators.post("/areas/bulk", json=[
        {"code": "64.71.01", "name": "Kecamatan Balikpapan Barat", "level": "kecamatan"},
        {"code": "64.71.01.1004", "name": "Kelurahan Baru Tengah", "level": "kelurahan", "parent_code": "64.71.01"},
        {"code": "64.71.01.1003", "name": "Kelurahan Baru Ulu", "level": "kelurahan", "parent_code": "64.71.01"}])
    assert r.status_code in (200, 201), r.text
    meetings = system.client("meetings")
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P6471010201", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Makassar", "area_code": "64.71.01",
        "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur"}).json()
    kecamatan = meetings.post("/agencies", json={"name": "Kecamatan Balikpapan Barat", "kind": "kecamatan",
                                                 "puskesmas_id": puskesmas["id"]}).json()
    dinas = meetings.post("/agencies", json={"name": "Dinas Kesehatan Kota Balikpapan", "kind": "dinas_kesehatan",
                                             "area_code": "64.71"}).json()
    return {"puskesmas": puskesmas, "kecamatan": kecamatan, "dinas": dinas, "meetings": meetings,
            "token": system.token("--role", "puskesmas", "--puskesmas", str(puskesmas["id"]))}


def add_agency(page, name: str, kind: str, parent: str, area: str | None = None) -> None:
    page.goto("/admin")
    page.click("text=Tambah lembaga")
    page.fill("#a-name", name)
    page.select_option("#a-kind", label=kind)
    page.select_option("#a-parent", label=parent)
    if area:
        page.select_option("#a-area", label=area)
    page.click("form.admin-form button[type=submit]")
    page.wait_for_selector(".flash.ok")


def test_a_puskesmas_sets_up_its_agencies_policy_and_days_off(system):
    for name in ("meetings-api", "indicators-api"):
        system.start(name)
    for service in ("meetings", "indicators"):
        system.procs.wait_http(system.url(service, "/health"))
    demo = set_up(system)
    base = system.url("meetings")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context, page = sign_in(browser, base, demo["token"], viewport={"width": 1280, "height": 900})
        try:
            page.click("nav >> text=Pengaturan")
            page.wait_for_selector("h1 >> text=Lembaga dan kontak")

            # The kelurahan under the kecamatan, its area chosen by name; then an RT under it.
            add_agency(page, "Kelurahan Baru Tengah", "Kelurahan", "Kecamatan Balikpapan Barat (Kecamatan)",
                       area="Kelurahan Baru Tengah")
            add_agency(page, "RT 03", "RT", "Kelurahan Baru Tengah (Kelurahan)")
            assert page_text(page).count("RT 03 › Kelurahan Baru Tengah › Kecamatan Balikpapan Barat") == 1

            # A mistyped number first: a sentence next to the field, the rest still typed.
            page.fill("#c-name", "Pak Rahmat")
            page.fill("#c-role", "Ketua RT 03")
            page.fill("#c-phone", "0812 5555")
            page.click("#contact-form button[type=submit]")
            page.wait_for_selector("#err-c-phone")
            assert "nomor telepon tidak valid" in page.inner_text("#err-c-phone")
            assert page.input_value("#c-name") == "Pak Rahmat" and page.input_value("#c-role") == "Ketua RT 03"
            shot(page, "admin-contact-error")
            page.fill("#c-phone", "0812 5555 1234")
            page.click("#contact-form button[type=submit]")
            page.wait_for_selector(".flash.ok")
            row = page.locator("table.admin-contacts tbody tr", has_text="Pak Rahmat")
            assert row.locator("td.phone").inner_text() == "0812-5555-1234"
            assert "ya" in row.inner_text()
            agencies = demo["meetings"].get("/agencies", params={"puskesmas_id": demo["puskesmas"]["id"]}).json()
            rt = next(a for a in agencies["items"] if a["name"] == "RT 03")
            assert rt["contacts"][0]["phone"] == "+6281255551234"
            kelurahan = next(a for a in agencies["items"] if a["name"] == "Kelurahan Baru Tengah")
            assert kelurahan["area_code"] == "64.71.01.1004"
            assert "Jalur eskalasi: RT 03 › Kelurahan Baru Tengah › Kecamatan Balikpapan Barat" in page_text(page)
            assert unlabelled_fields(page) == []
            assert not RAW.search(page_text(page)), RAW.search(page_text(page))
            shot(page, "admin-agency")

            page.goto("/admin")
            listing = page_text(page)
            assert "RT 03 › Kelurahan Baru Tengah › Kecamatan Balikpapan Barat" in listing
            assert "Dinas Kesehatan" in listing and not RAW.search(listing)
            assert unlabelled_fields(page) == []
            shot(page, "admin-agencies")

            page.click(".admin-menu >> text=Yang boleh masuk")
            people = page.locator("table.admin-people tbody tr", has_text="Pak Rahmat")
            assert "0812-5555-1234" in people.inner_text() and "RT 03" in people.inner_text()
            shot(page, "admin-sign-in")

            # The escalation policy: the owner's parent after 5 working days, and a new step to the dinas.
            page.click(".admin-menu >> text=Aturan eskalasi")
            assert "3 hari kerja setelah tenggat → atasan penanggung jawab" in page_text(page)
            page.fill("#step-1-days", "5")
            page.fill("#step-3-days", "10")
            page.select_option("#step-3-unit", label="hari kalender setelah tenggat")
            page.select_option("#step-3-notify", label="Dinas Kesehatan Kota Balikpapan")
            page.fill("#due-soon", "3")
            page.click("#policy-form button[type=submit]")
            page.wait_for_selector(".flash.ok")
            words = page.inner_text("#policy-words")
            assert "3 hari sebelum tenggat → pengingat ke penanggung jawab" in words
            assert "5 hari kerja setelah tenggat → atasan penanggung jawab" in words
            assert "10 hari setelah tenggat → Dinas Kesehatan Kota Balikpapan" in words
            policy = demo["meetings"].get(f"/escalation-policies/{demo['puskesmas']['id']}").json()
            assert [s["notify"] for s in policy["steps"]] == ["owner", "owner_parent", "puskesmas",
                                                             f"agency:{demo['dinas']['id']}"]
            assert unlabelled_fields(page) == [] and not RAW.search(page_text(page))
            shot(page, "admin-escalation")

            # A day off, typed as people write dates here (whatever the browser's own language).
            page.click(".admin-menu >> text=Hari libur tambahan")
            assert page.get_attribute("#day", "lang") == "id"
            assert page.get_attribute("#day", "placeholder") == "hh/bb/tttt"
            assert "hh/bb/tttt" in page.inner_text("#hint-day")
            page.fill("#day", "05/01/2026")
            page.click("#day-off-form button[type=submit]")
            page.wait_for_selector(".flash.ok")
            assert "Senin, 5 Januari 2026" in page.inner_text("#days-off")
            assert demo["meetings"].get(f"/puskesmas/{demo['puskesmas']['id']}").json()["extra_holidays"] == [
                "2026-01-05"]
            assert unlabelled_fields(page) == [] and not RAW.search(page_text(page))
            shot(page, "admin-days-off")
        finally:
            context.close()

        # The same screens on a phone: nothing runs off the side, everything still in words.
        context, page = sign_in(browser, base, demo["token"], viewport={"width": 390, "height": 844},
                                is_mobile=True, has_touch=True)
        try:
            for path, name in (("/admin", "admin-agencies-phone"),
                               (f"/admin/agencies/{rt['id']}", "admin-agency-phone"),
                               ("/admin/escalation", "admin-escalation-phone"),
                               ("/admin/days-off", "admin-days-off-phone"),
                               ("/admin/sign-in?lang=en", "admin-sign-in-phone-en")):
                page.goto(path)
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
                assert unlabelled_fields(page) == [], path
                assert not RAW.search(page_text(page)), (path, RAW.search(page_text(page)))
                shot(page, name)
            assert "Who may sign in" in page_text(page) and "0812-5555-1234" in page_text(page)
        finally:
            context.close()
            browser.close()
