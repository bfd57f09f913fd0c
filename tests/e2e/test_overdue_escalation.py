"""End to end: a follow-up entered after its due time is reported overdue to its owner,
escalates to the owner's parent agency, and goes quiet once completed, with the real
scheduler (beat), meetings worker, relay, notifications consumer and worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from support import wait_for

pytestmark = pytest.mark.e2e


def subscribe(system, receiver_url: str, agency_id: int) -> dict:
    token = system.token("--role", "agency", "--agency", str(agency_id))
    r = system.client("notifications", token).post("/subscriptions", json={
        "agency_id": agency_id, "event_types": ["followup.*"], "channel": "webhook", "target": receiver_url})
    assert r.status_code == 201, r.text
    return r.json()


def events_for(receiver, followup_id: int) -> list[str]:
    return [r["body"]["type"] for r in receiver.delivered()
            if r["body"]["data"].get("followup", {}).get("id") == followup_id]


def test_overdue_then_escalated_to_the_parent_then_quiet_once_completed(system, tmp_path):
    from receivers import WebhookReceiver

    system.start_all()
    meetings = system.client("meetings")
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P3515090", "name": "Puskesmas Balongbendo", "timezone": "Asia/Jakarta",
        "area_code": "35.15.09", "kota": "Kabupaten Sidoarjo", "provinsi": "Jawa Timur"}).json()
    koramil = meetings.post("/agencies", json={"name": "Koramil 0816/10 Balongbendo", "kind": "koramil",
                                               "puskesmas_id": puskesmas["id"]}).json()
    babinsa = meetings.post("/agencies", json={"name": "Babinsa Desa Balongbendo", "kind": "babinsa",
                                               "puskesmas_id": puskesmas["id"], "parent_id": koramil["id"]}).json()
    # Seconds instead of days, so that the ladder plays out while the test watches.
    policy = {"due_soon_before": "PT1S", "steps": [
        {"after": "PT0S", "notify": "owner"}, {"after": "PT4S", "notify": "owner_parent"},
        {"after": "PT20S", "notify": "puskesmas"}]}
    assert meetings.put(f"/escalation-policies/{puskesmas['id']}", json=policy).status_code == 200
    meeting = meetings.post("/meetings", json={
        "puskesmas_id": puskesmas["id"], "kind": "monthly_internal", "title": "Minilok November",
        "scheduled_at": "2025-11-25T09:00:00+07:00"}).json()

    with WebhookReceiver().running() as owner_hooks, WebhookReceiver().running() as parent_hooks:
        owner_hooks.secret = subscribe(system, owner_hooks.url, babinsa["id"])["secret"]
        parent_hooks.secret = subscribe(system, parent_hooks.url, koramil["id"])["secret"]
        due = datetime.now(UTC) - timedelta(seconds=1)  # minutes entered late
        r = meetings.post(f"/meetings/{meeting['id']}/follow-ups", json={
            "title": "Mekanisme rujukan dan logistik kegawatdaruratan bersama Koramil dan Polsek",
            "owner_agency_id": babinsa["id"], "due_at": due.isoformat()})
        assert r.status_code == 201, r.text
        followup = r.json()

        wait_for(lambda: "followup.overdue" in events_for(owner_hooks, followup["id"]), 20, message="overdue")
        overdue = [h for h in owner_hooks.delivered() if h["body"]["type"] == "followup.overdue"][0]
        assert overdue["verified"] is True
        assert overdue["body"]["data"]["escalated_to_agency_ids"] == [babinsa["id"]]
        assert "followup.due_soon" not in events_for(owner_hooks, followup["id"])
        # Not the parent's business yet: it neither owns nor supports it, nor was it escalated to it.
        assert "followup.overdue" not in events_for(parent_hooks, followup["id"])

        wait_for(lambda: "followup.escalated" in events_for(parent_hooks, followup["id"]), 20, message="escalation")
        escalated = [h for h in parent_hooks.delivered() if h["body"]["type"] == "followup.escalated"][0]
        assert escalated["body"]["data"]["escalated_to_agency_ids"] == [koramil["id"]]
        assert escalated["body"]["data"]["followup"]["escalation_level"] == 2
        assert meetings.get(f"/follow-ups/{followup['id']}").json()["escalation_level"] == 2

        owner = system.client("meetings", system.token("--role", "agency", "--agency", str(babinsa["id"])))
        assert owner.post(f"/follow-ups/{followup['id']}/start").status_code == 200
        r = owner.post(f"/follow-ups/{followup['id']}/complete", json={"note": "MoU rujukan ditandatangani"})
        assert r.status_code == 200 and r.json()["status"] == "done"
        wait_for(lambda: "followup.completed" in events_for(owner_hooks, followup["id"]), 20, message="completed")

        # Level 3 would have fired 20 s after the due time; completion stops it.
        time.sleep(max(0.0, (due + timedelta(seconds=23) - datetime.now(UTC)).total_seconds()))
        owner_events = events_for(owner_hooks, followup["id"])
        assert owner_events.count("followup.overdue") == 1
        assert owner_events.count("followup.escalated") == 1  # the owner hears all about its own work
        assert events_for(parent_hooks, followup["id"]).count("followup.escalated") == 1
        history = meetings.get(f"/follow-ups/{followup['id']}/history").json()["items"]
        assert [h["kind"] for h in history] == ["created", "overdue", "escalated", "start", "complete"]
