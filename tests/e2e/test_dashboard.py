"""End to end in a real browser (Debian's chromium driven by Playwright) against every process
of `make run`: a puskesmas enters minutes with two follow-ups, the owning agency sees them on
its own page in a second browser, completes one, and the puskesmas's board shows it done
without a reload (Server-Sent Events fed by the meetings consumer through Redis)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("MINILOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# Fails, never skips, without a browser: a skipped dashboard test once hid a broken dashboard.
from playwright import sync_api  # noqa: E402  (in requirements-dev.txt)

if not Path(CHROMIUM).exists():
    raise RuntimeError(f"no chromium at {CHROMIUM}: apt-get install chromium, or set MINILOK_CHROMIUM")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(browser, base_url: str, token: str, **context_options):
    context = browser.new_context(base_url=base_url, locale="id-ID", **context_options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.click("#token-way summary")  # pasting a token is the second way in, folded away
    page.fill("#token", token)
    page.click("#token-form button[type=submit]")
    page.wait_for_load_state()
    return context, page


def set_up(system) -> dict:
    meetings = system.client("meetings")
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P3515090", "name": "Puskesmas Balongbendo", "timezone": "Asia/Jakarta", "area_code": "35.15.09",
        "kota": "Kabupaten Sidoarjo", "provinsi": "Jawa Timur"}).json()
    koramil = meetings.post("/agencies", json={"name": "Koramil 0816/10 Balongbendo", "kind": "koramil",
                                               "puskesmas_id": puskesmas["id"]}).json()
    polsek = meetings.post("/agencies", json={"name": "Polsek Balongbendo", "kind": "polsek",
                                              "puskesmas_id": puskesmas["id"]}).json()
    meeting = meetings.post("/meetings", json={
        "puskesmas_id": puskesmas["id"], "kind": "quarterly_cross_sector",
        "title": "Mini Lokakarya Puskesmas Balongbendo 2025", "scheduled_at": "2025-11-25T09:00:00+07:00"}).json()
    return {"puskesmas": puskesmas, "koramil": koramil, "polsek": polsek, "meeting": meeting,
            "puskesmas_token": system.token("--role", "puskesmas", "--puskesmas", str(puskesmas["id"])),
            "koramil_token": system.token("--role", "agency", "--agency", str(koramil["id"]))}


def unlabelled_fields(page) -> list[str]:
    """Every visible input, select and textarea has a label (or an aria-label); every button a name."""
    return page.evaluate("""() => {
        const bad = [];
        for (const el of document.querySelectorAll('input, select, textarea')) {
            if (el.type === 'hidden') continue;
            const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label');
            if (!labelled) bad.push(el.outerHTML.slice(0, 120));
        }
        for (const el of document.querySelectorAll('button, a')) {
            if (!el.textContent.trim() && !el.getAttribute('aria-label')) bad.push(el.outerHTML.slice(0, 120));
        }
        if (!document.documentElement.lang) bad.push('<html> without lang');
        return bad;
    }""")


def test_minutes_to_agency_page_to_live_board(system, browser):
    system.start_all()
    demo = set_up(system)
    meeting_id, koramil, polsek = demo["meeting"]["id"], demo["koramil"], demo["polsek"]
    base = system.url("meetings")
    head_context, head = sign_in(browser, base, demo["puskesmas_token"])
    agency_context = None
    try:
        # The puskesmas enters the notulen and two follow-ups in one form.
        head.goto(f"/meetings/{meeting_id}")
        head.fill("#summary", "Koordinasi lintas sektor dengan Koramil 0816/10 dan Polsek.")
        head.fill("#decision-0", "Mekanisme rujukan darurat")
        head.fill("#decision-1", "Jadwal imunisasi ke seluruh desa")
        head.fill("#rtl-0-title", "Mekanisme rujukan dan logistik kegawatdaruratan bersama Koramil dan Polsek")
        head.select_option("#rtl-0-owner", str(koramil["id"]))
        head.click("fieldset[data-index='0'] details.picker summary")
        head.check(f"input[name='rtl-0-supporting'][value='{polsek['id']}']")
        head.fill("#rtl-0-due_date", "2030-12-31")
        head.click("#rtl-more")
        head.fill("#rtl-1-title", "Pendampingan jadwal posyandu dan imunisasi ke seluruh desa")
        head.select_option("#rtl-1-owner", str(koramil["id"]))
        head.fill("#rtl-1-due_date", "2030-06-28")
        head.click("#notulen-save")  # the notulen and both rows in one post
        head.wait_for_selector(".flash.ok")
        assert "Notulen disimpan. 2 RTL ditambahkan." in head.inner_text(".flash")
        assert head.locator("#live-meeting-followups tbody tr").count() == 2
        assert unlabelled_fields(head) == []

        # The board of the puskesmas is open, listening for changes.
        head.goto("/board")
        head.wait_for_selector("body[data-live-connected]")
        assert head.locator("[data-status=open] li.fu").count() == 2
        assert head.locator("[data-status=done] li.fu").count() == 0

        # The Koramil, in its own browser, sees both on "Tindak lanjut saya" and completes one.
        agency_context, agency = sign_in(browser, base, demo["koramil_token"])
        assert agency.url.endswith("/agency")
        titles = agency.locator("article.fu-item > h3").all_inner_texts()
        assert len(titles) == 2 and any("Mekanisme rujukan" in t for t in titles)
        assert unlabelled_fields(agency) == []
        card = agency.locator("article.fu-item", has_text="Mekanisme rujukan")
        card.locator("summary").click()
        card.locator("textarea[name=note]").nth(1).fill("MoU rujukan ditandatangani bersama Koramil dan Polsek")
        card.locator("input[name=evidence_url]").nth(1).fill("https://example.org/mou-rujukan.pdf")
        card.locator("button", has_text="Selesai").click()
        agency.wait_for_selector(".flash.ok")
        assert agency.locator("article.fu-item[data-status=done]").count() == 1

        # ...and the board updates without a reload.
        head.wait_for_selector("[data-status=done] li.fu >> text=Mekanisme rujukan", timeout=30_000)
        assert head.locator("[data-status=open] li.fu").count() == 1
        assert head.evaluate("performance.getEntriesByType('navigation').length") == 1

        # The history of that follow-up names every step, evidence included.
        head.click("[data-status=done] li.fu a")
        kinds = head.locator(".history li").evaluate_all("items => items.map(li => li.dataset.kind)")
        assert kinds == ["created", "complete"]  # one tap on "Selesai" from open: no separate start
        assert head.locator(".history a[href='https://example.org/mou-rujukan.pdf']").count() == 1
    finally:
        if agency_context is not None:
            agency_context.close()
        head_context.close()


def test_pages_are_labelled_bilingual_small_and_refuse_bad_input(system, browser):
    system.start("meetings-api")
    system.start("indicators-api")
    system.start("notifications-api")
    for service in ("meetings", "indicators", "notifications"):
        system.procs.wait_http(system.url(service, "/health"))
    demo = set_up(system)
    base = system.url("meetings")
    context, page = sign_in(browser, base, system.admin_token, viewport={"width": 390, "height": 844})
    try:
        pages = ["/", "/board", f"/meetings/{demo['meeting']['id']}", f"/agency?agency_id={demo['koramil']['id']}",
                 "/indicators"]
        for path in pages:
            response = page.goto(path)
            assert response.status == 200, path
            assert len(response.body()) < 200_000, path
            assert unlabelled_fields(page) == [], path
            # Nothing wider than a phone's screen but the tables and the board that scroll inside themselves.
            assert page.evaluate("document.documentElement.scrollWidth") <= 400, path
        assert page.goto("/board?lang=en").status == 200
        assert "Follow-up board" in page.inner_text("h1")
        assert "Follow-up board" in page.goto("/board").text()  # the choice is kept in a cookie
        page.goto("/board?lang=id")

        # Bad input answers with a page or a message, never a server error.
        for path in ["/follow-ups/999999", "/meetings/999999", "/board?agency_id=x&meeting_id=%00",
                     "/indicators?area=%27%22&period=2026-99&indicator=NOPE", "/agency?agency_id=abc"]:
            assert page.goto(path).status < 500, path
        page.goto(f"/meetings/{demo['meeting']['id']}")
        page.fill("#rtl-0-title", "Tanpa tenggat")
        page.click("#notulen-save")
        assert page.inner_text("#rtl-0-owner-error") == "pilih penanggung jawab"
        assert page.input_value("#rtl-0-title") == "Tanpa tenggat"

        # A form posted without its CSRF token is refused; so is a page without a session.
        request = context.request
        r = request.post(f"{base}/meetings/{demo['meeting']['id']}/publish", form={"csrf": "forged"})
        assert r.status == 403
        anonymous = browser.new_context(base_url=base)
        try:
            r = anonymous.request.get(f"{base}/board", max_redirects=0)
            assert r.status == 303 and r.headers["location"].startswith("/login")
            cookie = [c for c in context.cookies() if c["name"] == "minilok_session"][0]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        finally:
            anonymous.close()
    finally:
        context.close()
