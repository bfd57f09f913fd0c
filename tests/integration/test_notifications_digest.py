"""The daily digest: everything held since the last digest goes out at 07:00 local time as one
message, and every gathered delivery shares its fate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from minilok_notifications import models
from minilok_notifications.channels import messages
from minilok_notifications.config import get_settings
from minilok_notifications.service_layer.attempts import attempt
from minilok_notifications.service_layer.digests import DIGEST_TYPE
from minilok_notifications.service_layer.fan_out import record_event
from minilok_notifications.service_layer.sweep import due_deliveries
from minilok_shared.events.envelope import new_event
from receivers import WebhookReceiver


def followup_event(n: int, type_: str = "followup.overdue") -> dict:
    return new_event(type_, "/meetings", n, {"followup": {
        "id": n, "meeting_id": 1, "puskesmas_id": 1, "title": f"RTL nomor {n}", "action": None,
        "owner_agency_id": 7, "supporting_agency_ids": [], "due_at": "2026-02-20T16:59:59+00:00",
        "status": "open", "escalation_level": 1, "area_code": None, "indicator_code": None}},
        puskesmasid=1, ownerid=7)


def test_daily_digest_gathers_held_events_into_one_delivery(service_api, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "1")
    api = service_api("notifications")
    sessions = api.client.app.state.sessionmaker
    with WebhookReceiver().running() as receiver:
        r = api.post("/api/v1/subscriptions", json={
            "agency_id": 7, "event_types": ["followup.*"], "channel": "webhook", "target": receiver.url,
            "digest": "daily"}, headers=api.headers("agency", agency_id=7))
        assert r.status_code == 201, r.text
        receiver.secret = r.json()["secret"]
        evening = datetime(2026, 2, 21, 12, 0, tzinfo=UTC)  # 19:00 WIB
        with sessions.begin() as session:
            for n in (1, 2, 3):
                assert record_event(session, followup_event(n), now=evening) == []  # held
        with sessions() as session:
            held = session.query(models.Delivery).all()
        assert [d.status for d in held] == ["held"] * 3
        assert held[0].next_attempt_at.astimezone(ZoneInfo("Asia/Jakarta")).hour == 7

        assert due_deliveries(sessions, now=datetime(2026, 2, 21, 23, 0, tzinfo=UTC)) == []
        morning = datetime(2026, 2, 22, 0, 1, tzinfo=UTC)  # 07:01 WIB
        due = due_deliveries(sessions, now=morning)
        assert len(due) == 1
        status, _ = attempt(sessions, get_settings(), due[0])
        assert status == "delivered"

    assert len(receiver.requests) == 1 and receiver.requests[0]["verified"] is True
    digest = receiver.requests[0]["body"]
    assert digest["type"] == "notification.digest" and digest["data"]["count"] == 3
    assert [e["data"]["followup"]["id"] for e in digest["data"]["events"]] == [1, 2, 3]
    with sessions() as session:
        rows = {d.event_type: d for d in session.query(models.Delivery).all()}
        members = session.query(models.Delivery).filter(models.Delivery.digest_id == rows[DIGEST_TYPE].id)
        assert [m.status for m in members] == ["delivered"] * 3
    # Nothing left to send: the next sweep finds no work.
    assert due_deliveries(sessions, now=morning) == []
    page = api.get("/api/v1/deliveries", params={"status": "delivered"}).json()
    assert len(page["items"]) == 4


def test_a_digest_reads_as_one_message_in_bahasa_indonesia_and_english():
    events = [followup_event(1), followup_event(2, "followup.escalated"), followup_event(3, "followup.completed"),
              followup_event(4, "followup.created")]
    digest = new_event("notification.digest", "/notifications", 5, {"count": 4, "events": events})
    id_ = messages.render(json.loads(json.dumps(digest)), "id", "Asia/Jakarta", "http://minilok.local")
    assert id_.subject == "[Minilok] Ringkasan harian: 4 kabar tindak lanjut"
    assert all(f"RTL nomor {n}" in id_.text for n in (1, 2, 3, 4))
    assert "Tindak lanjut diteruskan" in id_.text and "Jumat, 20 Februari 2026 23.59 WIB" in id_.text
    assert "Tindak lanjut terlambat (1), Tindak lanjut diteruskan (1)" in id_.short
    en = messages.render(digest, "en", "Asia/Jakarta", "http://minilok.local")
    assert en.subject.startswith("[Minilok] Daily digest: 4") and "Follow-up escalated" in en.html
