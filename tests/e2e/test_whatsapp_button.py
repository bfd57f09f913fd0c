"""End to end, every process of `make run`, with WHATSAPP_GATEWAY_FORMAT=cloud_api: the owner's overdue
reminder reaches a fake WhatsApp Cloud API (checking templates as Meta does) as the overdue template
with a "Diterima" button; the owner's tap arrives as Meta's signed webhook, posted twice; the
follow-up is acknowledged as that agency through WhatsApp, once; the message's statuses land on its
delivery; and no process wrote the button's token to its log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support import wait_for
from whatsapp_cloud_fake import FakeCloudApi, button_reply, signed, status_update

pytestmark = pytest.mark.e2e

APP_SECRET = "meta-app-secret-for-the-e2e-test"


def test_overdue_template_button_tap_acknowledges_once(system):
    with FakeCloudApi().running() as cloud:
        system.procs.env.update({"WHATSAPP_GATEWAY_URL": cloud.url, "WHATSAPP_GATEWAY_FORMAT": "cloud_api",
                                 "WHATSAPP_ACCESS_TOKEN": cloud.access_token, "WHATSAPP_APP_SECRET": APP_SECRET,
                                 "MINILOK_PUBLIC_URL": system.url("meetings")})
        system.start_all()
        meetings = system.client("meetings")
        puskesmas = meetings.post("/puskesmas", json={
            "code": "P2171060", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
            "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()
        kelurahan = meetings.post("/agencies", json={
            "name": "Kelurahan Baloi Indah", "kind": "kelurahan", "puskesmas_id": puskesmas["id"],
            "contacts": [{"name": "Lurah Baloi Indah", "phone": "+6281277701234"}]}).json()
        policy = {"due_soon_before": "PT1S", "steps": [{"after": "PT0S", "notify": "owner"}], "repeat_every": None}
        assert meetings.put(f"/escalation-policies/{puskesmas['id']}", json=policy).status_code == 200
        meeting = meetings.post("/meetings", json={
            "puskesmas_id": puskesmas["id"], "kind": "monthly_internal", "title": "Lokmin bulanan",
            "scheduled_at": "2025-12-03T09:00:00+07:00"}).json()
        owner = system.client("notifications", system.token("--role", "agency", "--agency", str(kelurahan["id"])))
        r = owner.post("/subscriptions", json={"agency_id": kelurahan["id"], "event_types": ["followup.*"],
                                               "channel": "whatsapp", "target": "+6281277701234"})
        assert r.status_code == 201, r.text
        subscription = r.json()

        r = meetings.post(f"/meetings/{meeting['id']}/follow-ups", json={
            "title": "Abatisasi rumah warga RW 03", "action": "Kunjungan rumah bersama kader jumantik",
            "owner_agency_id": kelurahan["id"], "due_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()})
        assert r.status_code == 201, r.text
        followup = r.json()

        def reminders():
            return [m for m in cloud.accepted if m["template"]["name"] == "minilok_followup_overdue"]

        wait_for(reminders, 60, message="the overdue template at the fake Cloud API")
        assert cloud.refused == []
        sent = reminders()[0]
        assert sent["to"] == "6281277701234" and sent["template"]["language"] == {"code": "id"}
        body, button, link_button = sent["template"]["components"]
        title, puskesmas_name, _due = (p["text"] for p in body["parameters"])
        assert (title, puskesmas_name) == (f"Abatisasi rumah warga RW 03 (RTL no. {followup['id']})",
                                           "Puskesmas Baloi Permai")
        assert (button["sub_type"], button["index"]) == ("quick_reply", "0")
        payload = button["parameters"][0]["payload"]
        # The second button opens {MINILOK_PUBLIC_URL}/a/{{1}}: the action link works as the page.
        assert link_button["sub_type"] == "url" and payload == "ack:" + link_button["parameters"][0]["text"]
        page = httpx.get(system.url("meetings", "/a/" + link_button["parameters"][0]["text"]), timeout=10)
        assert page.status_code == 200 and "Abatisasi rumah warga RW 03" in page.text
        print(f"template {sent['template']['name']}: {[p['text'] for p in body['parameters']]}, "
              f"button payload {len(payload)} characters")

        webhook = httpx.Client(base_url=system.url("notifications"), timeout=10)  # Meta has no bearer token
        raw, headers = signed(button_reply(payload, wamid="wamid.E2E-TAP-1", sender="6281277701234"), APP_SECRET)
        answers = [webhook.post("/api/v1/whatsapp/webhook", content=raw, headers=headers) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert [a.json()["replies"] for a in answers] == [1, 0] and answers[1].json()["duplicates"] == 1
        bad = webhook.post("/api/v1/whatsapp/webhook", content=raw, headers={**headers,
                                                                             "x-hub-signature-256": "sha256=00"})
        assert bad.status_code == 401

        def acknowledged():
            return meetings.get(f"/follow-ups/{followup['id']}").json()["acknowledged_at"]

        wait_for(acknowledged, 30, message="the follow-up acknowledged from the button")
        history = meetings.get(f"/follow-ups/{followup['id']}/history").json()["items"]
        acks = [h["actor"] for h in history if h["kind"] == "acknowledged"]
        assert acks == [f"agency:{kelurahan['id']}:whatsapp"], acks

        # The statuses Meta reports about the reminder land on its delivery.
        for state, at in (("delivered", 1780000010), ("read", 1780000020)):
            raw, headers = signed(status_update(sent["wamid"], state, timestamp=at), APP_SECRET)
            assert webhook.post("/api/v1/whatsapp/webhook", content=raw, headers=headers).json()["statuses"] == 1
        items = owner.get("/deliveries", params={"subscription_id": subscription["id"]}).json()["items"]
        reminder = next(d for d in items if d["event_type"] == "followup.overdue")
        assert [a.get("status") for a in reminder["attempts"]][-2:] == ["delivered", "read"], reminder["attempts"]

        # The acknowledgement went on to be an event of its own (the dashboard, subscribers), and no second one.
        wait_for(lambda: any(m["template"]["name"] == "minilok_followup_update" for m in cloud.accepted), 30,
                 message="followup.acknowledged told to the owner's subscription")
        history = meetings.get(f"/follow-ups/{followup['id']}/history").json()["items"]
        assert [h["kind"] for h in history].count("acknowledged") == 1

    token = payload.removeprefix("ack:")
    logs = {name: system.procs.log(name) for name in system.procs.procs}
    assert logs["notifications-api"] and logs["meetings-consumer"]
    leaked = [name for name, text in logs.items() if token.rsplit(".", 1)[-1] in text]
    assert not leaked, f"the button's token is in the log of {leaked}"
