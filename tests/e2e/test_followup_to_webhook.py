"""End to end, with every process started as `make run` starts it: a follow-up created over
HTTP reaches an agency's webhook as a signed CloudEvent, exactly once, even when the relay or
the consumer is killed at the worst moment."""

from __future__ import annotations

import time

import pytest
from support import wait_for

pytestmark = pytest.mark.e2e


def set_up_agency(system, receiver) -> dict:
    meetings = system.client("meetings")
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P2171060", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
        "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()
    kecamatan = meetings.post("/agencies", json={
        "name": "Kecamatan Batam Kota", "kind": "kecamatan", "puskesmas_id": puskesmas["id"]}).json()
    kelurahan = meetings.post("/agencies", json={
        "name": "Kelurahan Baloi Permai", "kind": "kelurahan", "puskesmas_id": puskesmas["id"],
        "parent_id": kecamatan["id"], "contacts": [{"name": "Lurah", "phone": "0812 6612 3456"}]}).json()
    meeting = meetings.post("/meetings", json={
        "puskesmas_id": puskesmas["id"], "kind": "quarterly_cross_sector",
        "title": "Lokakarya mini lintas sektor triwulan I", "scheduled_at": "2026-02-18T09:00:00+07:00"}).json()
    agency_token = system.token("--role", "agency", "--agency", str(kelurahan["id"]))
    subscription = system.client("notifications", agency_token).post("/subscriptions", json={
        "agency_id": kelurahan["id"], "event_types": ["followup.*"], "channel": "webhook",
        "target": receiver.url})
    assert subscription.status_code == 201, subscription.text
    receiver.secret = subscription.json()["secret"]
    return {"puskesmas": puskesmas, "agency": kelurahan, "meeting": meeting, "subscription": subscription.json()}


def create_followup(system, ctx, title="Pemberantasan sarang nyamuk di Hang Tuah") -> dict:
    response = system.client("meetings").post(f"/meetings/{ctx['meeting']['id']}/follow-ups", json={
        "title": title, "owner_agency_id": ctx["agency"]["id"], "due_in_working_days": 5, "priority": "high"})
    assert response.status_code == 201, response.text
    return response.json()


def webhooks_for(receiver, followup_id: int) -> list[dict]:
    return [r for r in receiver.delivered()
            if r["body"]["type"] == "followup.created" and r["body"]["data"]["followup"]["id"] == followup_id]


def assert_exactly_one_webhook(receiver, followup_id: int, settle: float = 3.0) -> dict:
    wait_for(lambda: webhooks_for(receiver, followup_id), 30, message="the webhook")
    time.sleep(settle)  # a duplicate, if any, would arrive in this window
    hooks = webhooks_for(receiver, followup_id)
    assert len(hooks) == 1, f"expected one webhook, got {len(hooks)}"
    return hooks[0]


def test_followup_reaches_the_owner_webhook_signed(system, receiver):
    system.start_all()
    ctx = set_up_agency(system, receiver)
    started = time.monotonic()
    followup = create_followup(system, ctx)
    wait_for(lambda: webhooks_for(receiver, followup["id"]), 10, message="the webhook")
    latency = time.monotonic() - started
    print(f"follow-up created → webhook received in {latency * 1000:.0f} ms")
    hook = assert_exactly_one_webhook(receiver, followup["id"])

    assert hook["verified"] is True
    assert hook["headers"]["content-type"].startswith("application/cloudevents+json")
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= hook["headers"].keys()
    event = hook["body"]
    assert event["specversion"] == "1.0" and event["source"] == "/meetings"
    assert event["subject"] == str(followup["id"])
    assert event["puskesmasid"] == str(ctx["puskesmas"]["id"])
    assert event["ownerid"] == str(ctx["agency"]["id"])
    data = event["data"]["followup"]
    assert data["owner_agency_id"] == ctx["agency"]["id"]
    assert data["status"] == "open" and data["escalation_level"] == 0
    assert set(data) >= {"id", "meeting_id", "puskesmas_id", "title", "action", "owner_agency_id",
                         "supporting_agency_ids", "due_at", "status", "escalation_level", "area_code",
                         "indicator_code"}

    deliveries = system.client("notifications").get(
        "/deliveries", params={"subscription_id": ctx["subscription"]["id"]}).json()["items"]
    delivered = [d for d in deliveries if d["event_id"] == event["id"]]
    assert len(delivered) == 1 and delivered[0]["status"] == "delivered"
    assert delivered[0]["attempts"][-1]["response_status"] == 204


def test_relay_killed_after_publishing_but_before_marking_sent(system, receiver):
    for name in ("meetings-api", "notifications-api", "notifications-consumer", "notifications-worker"):
        system.start(name)
    system.procs.start("beat", "beat")
    system.procs.wait_http(system.url("meetings", "/health"))
    system.procs.wait_http(system.url("notifications", "/health"))
    ctx = set_up_agency(system, receiver)
    # Committed while no relay runs: it waits in the outbox.
    followup = create_followup(system, ctx)

    system.start("meetings-relay", MINILOK_FAULTS="relay.after_publish")
    wait_for(lambda: system.procs.procs["meetings-relay"].poll() is not None, 30, message="relay crash")
    assert system.procs.procs["meetings-relay"].returncode == 137
    system.procs.procs.pop("meetings-relay")
    system.start("meetings-relay")  # published again with the same event id

    hook = assert_exactly_one_webhook(receiver, followup["id"])
    assert hook["verified"] is True


def test_consumer_killed_after_commit_but_before_ack(system, receiver):
    for name in ("meetings-api", "meetings-relay", "notifications-api", "notifications-worker"):
        system.start(name)
    system.procs.start("beat", "beat")
    system.start("notifications-consumer", MINILOK_FAULTS="consumer.after_commit:followup.created")
    system.procs.wait_http(system.url("meetings", "/health"))
    system.procs.wait_http(system.url("notifications", "/health"))
    ctx = set_up_agency(system, receiver)
    followup = create_followup(system, ctx)

    wait_for(lambda: system.procs.procs["notifications-consumer"].poll() is not None, 30,
             message="consumer crash")
    system.procs.procs.pop("notifications-consumer")
    system.start("notifications-consumer")  # RabbitMQ redelivers; the inbox drops it

    hook = assert_exactly_one_webhook(receiver, followup["id"])
    assert hook["verified"] is True
