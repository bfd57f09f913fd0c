"""Screenshots of the dashboard's main pages for the README (docs/screenshots/*.png), taken with
Debian's chromium from a running system loaded by `make demo`:

    .venv/bin/python tests/e2e/screenshots.py [http://127.0.0.1:8001] [docs/screenshots]

Run it with the MINILOK_SECRET of the running system (it signs its own demo tokens)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from minilok_shared.auth import create_token
from minilok_shared.config import CommonSettings
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def main(base: str, out: Path) -> None:
    secret = CommonSettings().minilok_secret
    api = httpx.Client(base_url=f"{base}/api/v1", timeout=10,
                       headers={"Authorization": f"Bearer {create_token(secret, 'admin')}"})
    puskesmas = {p["code"]: p for p in api.get("/puskesmas").json()["items"]}["P2171060201"]
    agencies = {a["name"]: a for a in api.get("/agencies", params={"puskesmas_id": puskesmas["id"],
                                                                    "limit": 200}).json()["items"]}
    meetings = api.get("/meetings", params={"puskesmas_id": puskesmas["id"]}).json()["items"]
    meeting = next(m for m in meetings if m["kind"] == "quarterly_cross_sector")
    followup = api.get("/follow-ups", params={"meeting_id": meeting["id"], "overdue": "true"}).json()["items"][-1]
    head = create_token(secret, "puskesmas", puskesmas_id=puskesmas["id"])
    kecamatan = create_token(secret, "agency", agency_id=agencies["Kecamatan Batam Kota"]["id"])
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)

        def shoot(token: str, pages: list[tuple[str, str]], width: int = 1280, height: int = 900) -> None:
            context = browser.new_context(base_url=base, viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto("/login")
            page.click("#token-way summary")  # pasting a token is the second way in, folded away
            page.fill("#token", token)
            page.click("#token-form button[type=submit]")
            for path, name in pages:
                page.goto(path)
                page.wait_for_timeout(300)
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            context.close()

        shoot(head, [("/", "overview"), (f"/meetings/{meeting['id']}", "meeting"), ("/board", "board"),
                     (f"/follow-ups/{followup['id']}", "follow-up"), ("/indicators?area=21.71.06", "indicators")])
        shoot(kecamatan, [("/agency", "agency")])
        shoot(kecamatan, [("/agency?lang=en", "agency-phone-en")], width=390, height=844)
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8001",
         Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots"))
