"""Sign-in by code in a real browser on a 390 px phone, against real processes: the head of a
puskesmas types her phone number as people write it, the code travels meetings outbox → relay →
RabbitMQ → notifications consumer → worker → a fake WhatsApp gateway (a real local HTTP server),
she types it and lands on the overview. Screenshots of both screens (and the overview) go to
MINILOK_SCREENSHOTS_DIR when set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from receivers import WebhookReceiver
from support import wait_for
from test_dashboard import CHROMIUM, CHROMIUM_ARGS, unlabelled_fields

pytestmark = pytest.mark.e2e

from playwright import sync_api  # noqa: E402  (in requirements-dev.txt)

PHONE = "+6281234561234"
PROCESSES = ("meetings-api", "meetings-relay", "indicators-api", "notifications-consumer", "notifications-worker")


@pytest.fixture
def gateway():
    with WebhookReceiver().running() as receiver:  # records every JSON POST, answers 204
        yield receiver


def shot(page, name: str) -> None:
    folder = os.environ.get("MINILOK_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_sign_in_by_phone_and_code_on_a_phone(system, gateway):
    system.procs.env["WHATSAPP_GATEWAY_URL"] = gateway.url
    for name in PROCESSES:
        system.start(name)
    system.procs.wait_http(system.url("meetings", "/health"))
    wait_for(lambda: "consuming minilok.notifications" in system.procs.log("notifications-consumer"), 60,
             message="the notifications consumer")
    wait_for(lambda: "ready" in system.procs.log("notifications-worker"), 60, message="the notifications worker")
    meetings = system.client("meetings")
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P2171060201", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta", "area_code": "21.71.06",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()
    r = meetings.post("/agencies", json={"name": "Puskesmas Baloi Permai", "kind": "puskesmas",
                                         "puskesmas_id": puskesmas["id"],
                                         "contacts": [{"name": "dr. Sari", "role": "Kepala", "phone": PHONE}]})
    assert r.status_code == 201, r.text

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=system.url("meetings"), locale="id-ID",
                                      viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            page.goto("/login")
            assert page.get_attribute("#contact", "inputmode") == "email"
            assert not page.is_visible("#token")  # the token is the second way in, folded away
            assert unlabelled_fields(page) == []
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
            shot(page, "h1-sign-in-1-phone")
            page.fill("#contact", "0812-3456-1234")
            page.click("#code-form button[type=submit]")  # "Kirim kode"
            page.wait_for_selector("#code")
            assert "Masukkan 6 digit kode yang kami kirim ke 0812-xxxx-1234" in " ".join(
                page.inner_text("label[for=code]").split())
            assert page.get_attribute("#code", "autocomplete") == "one-time-code"
            assert page.get_attribute("#code", "inputmode") == "numeric"
            assert unlabelled_fields(page) == []
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            shot(page, "h1-sign-in-2-code")

            # The code, as WhatsApp would show it.
            request = wait_for(lambda: gateway.requests and gateway.requests[0], 60, message="the code at the gateway")
            sent = request["body"]
            assert sent["channel"] == "whatsapp" and sent["to"] == PHONE
            code = re.fullmatch(r"Kode masuk Minilok Anda: ([0-9]{6})\. Berlaku 10 menit\. "
                                r"Jangan berikan kode ini kepada siapa pun\.", sent["text"]).group(1)

            # A mistyped code first: the same screen again, saying so in words.
            page.fill("#code", f"{(int(code) + 1) % 10**6:06d}")
            page.click("#verify-form button[type=submit]")
            page.wait_for_selector(".flash.error")
            assert "Kode salah atau sudah kedaluwarsa" in page.inner_text(".flash.error")
            shot(page, "h1-sign-in-2b-wrong-code")

            page.fill("#code", code)
            page.click("#verify-form button[type=submit]")
            page.wait_for_url(re.compile(r".*/$"))
            assert page.inner_text("h1") in ("Ringkasan", "Puskesmas Baloi Permai")
            assert "puskesmas" in page.inner_text(".who")
            shot(page, "h1-sign-in-3-overview")

            # The code never reached a log line of any process.
            for name in PROCESSES:
                assert code not in system.procs.log(name), name
        finally:
            context.close()
            browser.close()
