"""Every dashboard page, as a person reads it, in Bahasa Indonesia and English, at 1280 px and
390 px, against every process of `make run`: a realistic puskesmas (meetings scheduled and
published, agencies of several kinds with a parent chain, follow-ups in every status, one
escalated by the scheduler's reminders, one acknowledged through its action link, one waiting for
an extension) and every page of the nav, the action link's page and the sign-in page.

Each page fails on a code a person would not say aloud (`followup.due_soon`, `dinas_kesehatan`,
`#17`, an ISO date, `Asia/Makassar`, an English status word on an Indonesian page or the other
way round) and on a serious or critical finding of axe-core (from the npm registry, installed
into tests/e2e/.node on first use) run in the page. Pages other helpers own list what they still
show in KNOWN; anything new fails. Screenshots go to MINILOK_SCREENSHOTS_DIR (default: the test's
temporary directory)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from minilok_shared.action_links import mint_action_token
from support import wait_for
from test_dashboard import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

from playwright import sync_api  # noqa: E402  (in requirements-dev.txt)

AXE_VERSION = "4.14.1"
NODE_DIR = Path(__file__).parent / ".node"
AXE = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"

# What a page may not show, by name.
RAW_CODES = {
    "event type": re.compile(r"\b(?:followup|meeting|indicator|notification)\.[a-z_*]+"),
    "snake_case code": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "number sign id": re.compile(r"#\d+"),
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "ISO time": re.compile(r"\d{2}T\d{2}:\d{2}"),
    "zone name": re.compile(r"\b(?:Asia|Etc|UTC)/[A-Za-z_]+"),
    "actor code": re.compile(r"\b(?:agency|contact|system|demo|puskesmas|admin):[\w:]+"),
    "id shorthand": re.compile(r"·\s*[PL]\d+\b"),
    "period code": re.compile(r"\b(?:19|20)\d{2}(?:-(?:0[1-9]|1[0-2])|Q[1-4])\b(?!-\d)"),
    "status code": re.compile(r"\b[45]\d\d: "),
    "raw data": re.compile(r"\[\{|\{'|\b(?:None|null|True|False)\b|\{\{|\}\}"),
}
STATUS_WORDS = {
    "id": ("English word", re.compile(r"\b(?:Open|In progress|Done|Cancelled|Overdue|Scheduled|Published|"
                                      r"not found|not allowed|Please|required)\b")),
    "en": ("Indonesian status word",
           re.compile(r"\b(?:Terbuka|Dikerjakan|Selesai|Dibatalkan|Terlambat|Dijadwalkan|Diterbitkan)\b")),
}
AXE_FAILS = ("serious", "critical")

# Pages owned by others that still show a finding: (page, finding name) pairs, by page name as
# `pages()` names them. The lead removes an entry once its page is fixed; a finding not listed
# here fails the test.
KNOWN: dict[str, set[str]] = {}


def axe_script() -> Path:
    """axe-core from the npm registry, installed once into tests/e2e/.node (git-ignored)."""
    if not AXE.exists():
        NODE_DIR.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(NODE_DIR),
                        f"axe-core@{AXE_VERSION}"], check=True, capture_output=True, timeout=300)
    return AXE


# The words a person sees: the rendered text (every <details> opened), the options of each
# select, and the titles, labels, placeholders and alternative texts of the page.
VISIBLE_TEXT = """() => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll('option')) parts.push(el.textContent);
    for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], img[alt]')) {
        for (const name of ['title', 'aria-label', 'placeholder', 'alt']) {
            if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
        }
    }
    return parts.join('\\n');
}"""


def raw_codes(text: str, lang: str) -> list[str]:
    found = [f"{name}: {m.group(0)!r}" for name, pattern in RAW_CODES.items() for m in pattern.finditer(text)]
    name, words = STATUS_WORDS[lang]
    found += [f"{name}: {m.group(0)!r}" for m in words.finditer(text)]
    return sorted(set(found))


def axe_findings(page) -> list[str]:
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [f"axe {v['id']}: {v['help']} at {', '.join(v['nodes'])}" for v in result if v["impact"] in AXE_FAILS]


def too_wide(page) -> list[str]:
    """Nothing sticks out past the screen's right edge (a table may scroll inside its .scroll box)."""
    wide = page.evaluate("""() => {
        const w = window.innerWidth;
        if (document.documentElement.scrollWidth <= w) return [];
        return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.scroll'))
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).slice(0, 4);
    }""")
    return [f"wider than the screen: {', '.join(wide)}"] if wide else []


def finding_name(finding: str) -> str:
    """"ISO date: '2026-01-05'" → "ISO date"; "axe color-contrast: ..." → "axe color-contrast"."""
    return finding.split(":", 1)[0]


def set_up(system) -> dict:
    meetings = system.client("meetings")

    def post(path: str, body: dict, client=None) -> dict:
        r = (client or meetings).post(path, json=body)
        assert r.status_code in (200, 201), (path, r.text)
        return r.json()

    puskesmas = post("/puskesmas", {"code": "P6471040201", "name": "Puskesmas Baru Tengah",
                                    "timezone": "Asia/Makassar", "area_code": "64.71.04", "kota": "Kota Balikpapan",
                                    "provinsi": "Kalimantan Timur", "head_name": "drg. Rulida Osma Marisya"})
    pid = puskesmas["id"]
    dinas = post("/agencies", {"name": "Dinas Kesehatan Kota Balikpapan", "kind": "dinas_kesehatan"})
    kecamatan = post("/agencies", {"name": "Kecamatan Balikpapan Barat", "kind": "kecamatan", "puskesmas_id": pid,
                                   "parent_id": dinas["id"]})
    kelurahan = post("/agencies", {"name": "Kelurahan Baru Tengah", "kind": "kelurahan", "puskesmas_id": pid,
                                   "parent_id": kecamatan["id"],
                                   "contacts": [{"name": "Ibu Lurah", "role": "Lurah", "phone": "+6281255551234"}]})
    rt = post("/agencies", {"name": "RT 12 Baru Tengah", "kind": "rt", "puskesmas_id": pid,
                            "parent_id": kelurahan["id"]})
    pkk = post("/agencies", {"name": "Tim Penggerak PKK Baru Tengah", "kind": "pkk", "puskesmas_id": pid})
    tokoh = post("/agencies", {"name": "Tokoh Agama Baru Tengah", "kind": "tokoh_masyarakat", "puskesmas_id": pid})
    post("/agencies", {"name": "Karang Taruna Baru Tengah", "kind": "other", "puskesmas_id": pid})
    koramil = post("/agencies", {"name": "Koramil 0905-01 Balikpapan Barat", "kind": "koramil", "puskesmas_id": pid})

    today = datetime.now(UTC)
    published = post("/meetings", {"puskesmas_id": pid, "kind": "quarterly_cross_sector",
                                   "title": "Lokakarya Mini Lintas Sektor Triwulan III",
                                   "scheduled_at": (today - timedelta(days=75)).isoformat(),
                                   "location": "Aula Kelurahan Baru Tengah"})
    mid = published["id"]
    post(f"/meetings/{mid}/agenda", {"title": "Capaian imunisasi dasar lengkap",
                                     "presenter_agency_id": kelurahan["id"]})
    r = meetings.put(f"/meetings/{mid}/attendance", json=[
        {"agency_id": kelurahan["id"], "person_name": "Ibu Lurah Baru Tengah", "role": "Lurah", "present": True},
        {"agency_id": koramil["id"], "person_name": "Serka Budi", "role": "Babinsa", "present": True},
        {"agency_id": pkk["id"], "person_name": "Ibu Ketua PKK", "role": "Ketua", "present": False}])
    assert r.status_code == 200, r.text

    def followup(meeting_id: int, title: str, owner: dict, **extra) -> dict:
        return post(f"/meetings/{meeting_id}/follow-ups", {"title": title, "owner_agency_id": owner["id"], **extra})

    late = followup(mid, "Sweeping imunisasi anak di RT 12", kelurahan, problem="Cakupan imunisasi rendah",
                    action="Kunjungan rumah bersama kader", supporting_agency_ids=[rt["id"], pkk["id"]],
                    due_date=(today - timedelta(days=60)).date().isoformat(), priority="high")
    working = followup(mid, "Pemantauan jentik nyamuk mingguan", rt,
                       due_date=(today + timedelta(days=20)).date().isoformat())
    finished = followup(mid, "Penyuluhan gizi seimbang di posyandu", pkk,
                        due_date=(today + timedelta(days=5)).date().isoformat(), priority="low")
    dropped = followup(mid, "Senam lansia bersama", tokoh, due_date=(today + timedelta(days=9)).date().isoformat())
    linked = followup(mid, "Pendataan ibu hamil risiko tinggi", kelurahan,
                      due_date=(today + timedelta(days=14)).date().isoformat())
    post(f"/meetings/{mid}/minutes", {"summary": "Capaian imunisasi turun; lintas sektor sepakat menyisir rumah.",
                                      "decisions": ["Sweeping imunisasi oleh kelurahan dan kader"]})
    post(f"/follow-ups/{working['id']}/start", {})
    post(f"/follow-ups/{working['id']}/progress", {"note": "Dua RT sudah diperiksa", "percent": 40})
    post(f"/follow-ups/{finished['id']}/complete", {"note": "Penyuluhan di tiga posyandu"})
    post(f"/follow-ups/{dropped['id']}/cancel", {"reason": "Digabung dengan kegiatan kecamatan"})
    post(f"/meetings/{mid}/publish", {})

    upcoming = post("/meetings", {"puskesmas_id": pid, "kind": "monthly_internal",
                                  "title": "Lokakarya Mini Bulanan Desember",
                                  "scheduled_at": (today + timedelta(days=10)).isoformat(),
                                  "location": "Ruang rapat puskesmas"})

    # The action link of the owner: acknowledged through it, and more time asked through another.
    secret = system.procs.env["MINILOK_SECRET"]
    web = httpx.Client(base_url=system.url("meetings"), timeout=15)
    link = mint_action_token(secret, linked["id"], kelurahan["id"], datetime.fromisoformat(linked["due_at"]))
    r = web.post(f"/api/v1/actions/{link}/acknowledge", json={"note": "Diterima, kami data minggu ini"})
    assert r.status_code == 200, r.text
    asking = mint_action_token(secret, working["id"], rt["id"], datetime.fromisoformat(working["due_at"]))
    r = web.post(f"/api/v1/actions/{asking}/extend", json={
        "due_date": (today + timedelta(days=40)).date().isoformat(), "reason": "Menunggu abate dari dinas"})
    assert r.status_code == 201, r.text

    # The owner's WhatsApp subscription, written as people write a number.
    owner_notifications = system.client("notifications", system.token("--role", "agency", "--agency",
                                                                       str(kelurahan["id"])))
    r = owner_notifications.post("/subscriptions", json={"agency_id": kelurahan["id"], "channel": "whatsapp",
                                                         "target": "0812 5555 1234",
                                                         "event_types": ["followup.*", "meeting.*"]})
    assert r.status_code == 201, r.text

    # The scheduler's reminders: overdue, then escalated up the parent chain.
    def escalated() -> bool:
        return meetings.get(f"/follow-ups/{late['id']}").json()["escalation_level"] >= 2

    wait_for(escalated, 90, interval=0.5, message="the overdue follow-up escalated by the scheduler")
    return {"puskesmas": puskesmas, "kelurahan": kelurahan, "published": published, "upcoming": upcoming,
            "followups": {"late": late, "working": working, "finished": finished, "dropped": dropped,
                          "linked": linked},
            "link": link,
            "puskesmas_token": system.token("--role", "puskesmas", "--puskesmas", str(pid)),
            "agency_token": system.token("--role", "agency", "--agency", str(kelurahan["id"]))}


def sign_in(context, token: str):
    page = context.new_page()
    page.goto("/login")
    page.click("#token-way summary")
    page.fill("#token", token)
    page.click("#token-form button[type=submit]")
    page.wait_for_load_state()
    return page


def admin_pages(page) -> list[str]:
    """The settings pages, as the nav reaches them (none while they do not exist)."""
    if not page.locator("header nav a[href='/admin']").count():
        return []
    response = page.goto("/admin")
    if response is None or response.status != 200:
        return []
    links = page.eval_on_selector_all("main a[href^='/admin']", "els => els.map(a => a.getAttribute('href'))")
    return sorted({"/admin", *(href.split("#")[0] for href in links)})


def subscription_form_speaks_in_sentences(page, agency_path: str) -> None:
    """The browser's own check and the notifications service's refusal, both in the page's words;
    then a number as people write it is taken."""
    page.goto(agency_path)
    page.click("details:has(form[action='/agency/subscriptions']) > summary")
    page.select_option("#s-channel", "whatsapp")
    page.click("form[action='/agency/subscriptions'] button[type=submit]")
    assert page.eval_on_selector("#s-target", "el => el.validationMessage") == "Wajib diisi."
    page.fill("#s-target", "0812 abc")
    page.click("form[action='/agency/subscriptions'] button[type=submit]")
    flash = page.locator(".flash.error").inner_text()
    assert flash.startswith("Tujuan: nomor telepon tidak valid"), flash
    assert not raw_codes(flash, "id") and "E.164" not in flash, flash
    page.click("details:has(form[action='/agency/subscriptions']) > summary")
    page.fill("#s-target", "0812 5555 1234")
    page.check("text=Semua kabar lokakarya mini")
    page.click("form[action='/agency/subscriptions'] button[type=submit]")
    assert page.locator(".flash.ok").count(), page.content()[:2000]
    table = page.locator("table:has(th:text('Saluran'))").inner_text()
    assert "WhatsApp" in table and "0812-5555-1234" in table and "Semua kabar lokakarya mini" in table, table


def test_every_page_in_words_and_accessible(system, tmp_path):
    system.procs.env["MINILOK_PUBLIC_URL"] = system.url("meetings")
    system.start_all()
    world = set_up(system)
    f = world["followups"]
    puskesmas_pages = {
        "overview": "/", "board": "/board", "agency list": "/agency",
        "agency": f"/agency?agency_id={world['kelurahan']['id']}",
        **{f"follow-up ({name})": f"/follow-ups/{item['id']}" for name, item in f.items()},
        "meeting (published)": f"/meetings/{world['published']['id']}",
        "meeting (scheduled)": f"/meetings/{world['upcoming']['id']}",
        "indicators": "/indicators",
        "scorecard": "/scorecard?from=2020-01-01&to=2020-12-31", "scorecard (this quarter)": "/scorecard",
    }
    agency_pages = {"agency (as the agency)": "/agency", "scorecard (as the agency)": "/scorecard",
                    "follow-up (as the agency)": f"/follow-ups/{f['late']['id']}"}
    public_pages = {"login": "/login", "action link": f"/a/{world['link']}", "action link (tampered)": "/a/x.y.z"}
    shots = Path(os.environ.get("MINILOK_SCREENSHOTS_DIR") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    findings: dict[str, set[str]] = {}
    visited = []

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for width in (1280, 390):
                viewport = {"width": width, "height": 900 if width > 400 else 844}
                for who, token, pages in (("puskesmas", world["puskesmas_token"], puskesmas_pages),
                                          ("agency", world["agency_token"], agency_pages),
                                          ("public", None, public_pages)):
                    # bypass_csp: the pages allow no inline script, and add_script_tag injects axe as one.
                    context = browser.new_context(base_url=system.url("meetings"), locale="id-ID",
                                                  viewport=viewport, bypass_csp=True)
                    context.set_default_timeout(20_000)
                    page = sign_in(context, token) if token else context.new_page()
                    if who == "puskesmas":
                        pages = {**pages, **{f"settings {href}": href for href in admin_pages(page)}}
                        if width == 1280:
                            subscription_form_speaks_in_sentences(page, puskesmas_pages["agency"])
                    for name, path in pages.items():
                        for lang in ("id", "en"):
                            url = path + ("&" if "?" in path else "?") + f"lang={lang}"
                            response = page.goto(url)
                            assert response is not None
                            page.wait_for_load_state("networkidle")
                            problems = set(raw_codes(page.evaluate(VISIBLE_TEXT), lang)) | set(too_wide(page))
                            if width == 1280 or lang == "id":
                                problems |= set(axe_findings(page))
                            if lang == "id" or width == 390:
                                slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                                page.screenshot(path=str(shots / f"scan-{slug}-{lang}-{width}.png"), full_page=True)
                            visited.append(f"{name} [{lang}, {width} px] {response.status}")
                            for problem in problems:
                                findings.setdefault(name, set()).add(f"[{lang}, {width} px] {problem}")
                    context.close()
        finally:
            browser.close()

    print("\nvisited:\n  " + "\n  ".join(visited))
    report = {name: sorted(found) for name, found in sorted(findings.items())}
    print("findings:\n" + json.dumps(report, indent=1, ensure_ascii=False))
    new = {name: [x for x in found if finding_name(x.split("] ", 1)[1]) not in KNOWN.get(name, set())]
           for name, found in report.items()}
    new = {name: found for name, found in new.items() if found}
    assert not new, "codes or accessibility problems on these pages:\n" + json.dumps(new, indent=1,
                                                                                      ensure_ascii=False)


def test_raw_code_patterns():
    """The scan's own patterns: what they catch, and what they let through."""
    assert raw_codes("followup.due_soon dinas_kesehatan RTL #17 2026-01-05 Asia/Makassar system:scheduler", "id") == [
        "ISO date: '2026-01-05'", "actor code: 'system:scheduler'", "event type: 'followup.due_soon'",
        "number sign id: '#17'", "snake_case code: 'dinas_kesehatan'", "snake_case code: 'due_soon'",
        "zone name: 'Asia/Makassar'"]
    assert raw_codes("Petugas puskesmas · P2", "id") == ["id shorthand: '· P2'"]
    assert raw_codes("Koramil 0905-01 Balikpapan Barat", "id") == []
    assert raw_codes("Status: Open", "id") == ["English word: 'Open'"]
    assert raw_codes("422: [{'loc': ['query', 'period']}] 2026Q1 2026-01 None", "id") == [
        "period code: '2026-01'", "period code: '2026Q1'", "raw data: 'None'", "raw data: '[{'",
        "status code: '422: '"]
    assert raw_codes("Status: Terbuka", "en") == ["Indonesian status word: 'Terbuka'"]
    assert raw_codes("Terbuka · 5 Jan 2026 09:00 WITA · Petugas puskesmas · RT 12 · 0812 5555 1234", "id") == []
    assert raw_codes("Open · 5 Jan 2026 09:00 WITA · Puskesmas staff", "en") == []
    assert finding_name("ISO date: '2026-01-05'") == "ISO date"


APP_JS = Path(__file__).parents[2] / "services/meetings/minilok_meetings/web/static/app.js"
FIELDS = """<form><input id="req" required><input id="url" type="url" value="nope">
<input id="mail" type="email" value="nope"><input id="num" type="number" min="0" max="100" value="120">
<input id="pat" pattern="[0-9]+" title="angka saja" value="x"><button>Kirim</button></form>"""


@pytest.mark.parametrize("lang,expected", [
    ("id", {"req": "Wajib diisi.", "url": "Tulis alamat web lengkap, mis. https://contoh.go.id/kabar",
            "mail": "Tulis alamat email, mis. nama@contoh.go.id", "num": "Paling besar 100.", "pat": "angka saja"}),
    ("en", {"req": "This field is required.", "url": "Write a full web address, e.g. https://example.org/news",
            "mail": "Write an email address, e.g. name@example.org", "num": "At most 100.", "pat": "angka saja"}),
])
def test_the_browsers_own_checks_speak_the_page_language(lang, expected):
    """app.js replaces "Please enter a URL" and the like with the page's words, and clears its
    message once the field is typed in again."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="en-US")
            page.set_content(f'<!doctype html><html lang="{lang}"><body>{FIELDS}</body></html>')
            page.add_script_tag(path=str(APP_JS))
            page.evaluate("document.querySelector('form').checkValidity()")
            got = {field: page.eval_on_selector(f"#{field}", "el => el.validationMessage") for field in expected}
            assert got == expected
            page.fill("#url", "https://contoh.go.id/kabar")
            assert page.eval_on_selector("#url", "el => el.validity.valid")
        finally:
            browser.close()
