"""End to end, every process of `make run`: an overdue reminder reaches the owner's WhatsApp gateway
(a real local fake) with its action link; following that link, with no token, the owner opens the
page, acknowledges, uploads a photo made with Pillow and completes with it; the puskesmas's
webhook receives `followup.completed`, signed; and no process wrote the link's token to its log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import httpx
import pytest
from PIL import Image
from receivers import WebhookReceiver
from support import wait_for

pytestmark = pytest.mark.e2e


def photo_jpeg() -> bytes:
    """A real photo-sized JPEG (wider than the 1600 px evidence keeps)."""
    image = Image.new("RGB", (2400, 1800), (200, 120, 40))
    for x in range(0, 2400, 100):
        image.paste((20, 90, 160), (x, 0, x + 40, 1800))
    out = BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_whatsapp_reminder_link_acknowledge_photo_complete_signed_webhook(system):
    with WebhookReceiver().running() as gateway, WebhookReceiver().running() as puskesmas_hooks:
        system.procs.env.update({"WHATSAPP_GATEWAY_URL": gateway.url, "MINILOK_PUBLIC_URL": system.url("meetings")})
        system.start_all()
        meetings = system.client("meetings")
        puskesmas = meetings.post("/puskesmas", json={
            "code": "P6471050", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Makassar",
            "area_code": "64.71.05", "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur"}).json()
        own_agency = meetings.post("/agencies", json={"name": "Puskesmas Baru Tengah", "kind": "puskesmas",
                                                      "puskesmas_id": puskesmas["id"]}).json()
        kelurahan = meetings.post("/agencies", json={
            "name": "Kelurahan Baru Tengah", "kind": "kelurahan", "puskesmas_id": puskesmas["id"],
            "contacts": [{"name": "Lurah Baru Tengah", "phone": "+6281255501234"}]}).json()
        # Seconds instead of days: the owner's reminder fires at the due time, at the next scan.
        policy = {"due_soon_before": "PT1S", "steps": [{"after": "PT0S", "notify": "owner"}], "repeat_every": None}
        assert meetings.put(f"/escalation-policies/{puskesmas['id']}", json=policy).status_code == 200, policy
        meeting = meetings.post("/meetings", json={
            "puskesmas_id": puskesmas["id"], "kind": "quarterly_cross_sector", "title": "Minilok lintas sektor",
            "scheduled_at": "2025-12-03T09:00:00+08:00"}).json()

        owner = system.client("notifications", system.token("--role", "agency", "--agency", str(kelurahan["id"])))
        r = owner.post("/subscriptions", json={"agency_id": kelurahan["id"], "event_types": ["followup.*"],
                                               "channel": "whatsapp", "target": "+6281255501234"})
        assert r.status_code == 201, r.text
        head = system.client("notifications", system.token("--role", "puskesmas", "--puskesmas", str(puskesmas["id"])))
        r = head.post("/subscriptions", json={
            "agency_id": own_agency["id"], "event_types": ["followup.completed"], "channel": "webhook",
            "target": puskesmas_hooks.url, "filters": {"puskesmas_id": puskesmas["id"]}})
        assert r.status_code == 201, r.text
        puskesmas_hooks.secret = r.json()["secret"]

        due = datetime.now(UTC) - timedelta(seconds=1)  # minutes entered late: overdue at once
        r = meetings.post(f"/meetings/{meeting['id']}/follow-ups", json={
            "title": "Pelacakan kontak erat TB di RT 12", "action": "Kunjungan rumah bersama kader",
            "owner_agency_id": kelurahan["id"], "due_at": due.isoformat()})
        assert r.status_code == 201, r.text
        followup = r.json()

        def reminder():
            return [g["body"] for g in gateway.delivered() if g["body"].get("event_type") == "followup.overdue"]

        wait_for(reminder, 60, message="the overdue reminder at the WhatsApp gateway")
        text = reminder()[0]["text"]
        assert reminder()[0]["to"] == "+6281255501234"
        print(f"WhatsApp text ({len(text)} characters): {text}")
        found = re.search(re.escape(system.url("meetings")) + r"/a/([A-Za-z0-9_.-]+)", text)
        assert found and "Mohon tanggapi:" in text, text
        token = found.group(1)

        web = httpx.Client(base_url=system.url("meetings"), timeout=15)  # no Authorization: the link alone
        page = web.get(f"/a/{token}")
        assert page.status_code == 200 and "Pelacakan kontak erat TB di RT 12" in page.text
        assert page.headers["referrer-policy"] == "no-referrer" and "sudah lewat batas waktu hari ini" in page.text
        opened = web.get(f"/api/v1/actions/{token}").json()
        assert opened["followup"]["id"] == followup["id"] and "acknowledge" in opened["allowed"]

        r = web.post(f"/api/v1/actions/{token}/acknowledge", json={"note": "Diterima, segera kami kerjakan"})
        assert r.status_code == 200 and r.json()["acknowledged_at"], r.text
        r = web.post(f"/api/v1/actions/{token}/evidence", files={"file": ("rt12.jpg", photo_jpeg(), "image/jpeg")})
        assert r.status_code == 201, r.text
        evidence = r.json()
        assert evidence["content_type"] == "image/jpeg" and max(evidence["width"], evidence["height"]) <= 1600
        r = web.post(f"/api/v1/actions/{token}/complete",
                     json={"note": "12 kontak erat diperiksa, 1 dirujuk", "evidence_ids": [evidence["id"]]})
        assert r.status_code == 200 and r.json()["status"] == "done", r.text

        def completed():
            return [h for h in puskesmas_hooks.delivered() if h["body"]["type"] == "followup.completed"
                    and h["body"]["data"]["followup"]["id"] == followup["id"]]

        wait_for(completed, 30, message="followup.completed at the puskesmas's webhook")
        hook = completed()[0]
        assert hook["verified"] is True and hook["headers"]["webhook-signature"].startswith("v1,")
        assert hook["body"]["data"]["followup"]["status"] == "done"
        assert hook["body"]["data"].get("actor") == f"agency:{kelurahan['id']}:link"

        history = meetings.get(f"/follow-ups/{followup['id']}/history").json()["items"]
        kinds = [h["kind"] for h in history if h["actor"] == f"agency:{kelurahan['id']}:link"]
        assert kinds == ["acknowledged", "complete"], kinds
        completion = next(h for h in history if h["kind"] == "complete")
        assert completion["data"]["evidence_ids"] == [evidence["id"]]
        assert web.post(f"/api/v1/actions/{token}/progress", json={"note": "lagi"}).status_code == 409

    logs = {name: system.procs.log(name) for name in system.procs.procs}
    assert logs["meetings-api"] and logs["notifications-worker"]
    leaked = [name for name, text in logs.items() if token in text or token.rsplit(".", 1)[-1] in text]
    assert not leaked, f"the link's token is in the log of {leaked}"
