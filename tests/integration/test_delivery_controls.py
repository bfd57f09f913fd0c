"""Delivery controls against real local servers (aiosmtpd, a fake WhatsApp/SMS gateway, a webhook
receiver): a fallback channel tried once when a delivery fails for good, 410 Gone switching a
webhook subscription off, recovering a subscription's failures, urgent events passing quiet hours
and the digest, and invited agencies hearing their meetings."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from minilok_notifications import models
from minilok_notifications.channels import SendResult
from minilok_notifications.domain.retries import MAX_ATTEMPTS
from minilok_notifications.service_layer import deliveries as deliveries_service
from minilok_notifications.service_layer.attempts import apply_result, attempt
from minilok_notifications.service_layer.digests import DIGEST_TYPE
from minilok_notifications.service_layer.fan_out import record_event
from minilok_notifications.service_layer.sweep import due_deliveries
from minilok_shared.db import utcnow
from minilok_shared.events.envelope import new_event
from sqlalchemy import select, update
from support import Processes, free_port, wait_for
from test_notifications_channels import SmtpSink
from test_notifications_flow import Stack
from test_notifications_support import Receiver, followup_event, notifications_client, token

ADMIN = token("admin")
PHONE, EMAIL = "+6281234567890", "kader.rw03@example.org"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.url = f"smtp://127.0.0.1:{controller.port}"
    yield sink
    controller.stop()


@pytest.fixture
def gateway():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def hook():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def client(monkeypatch, database_url, smtp, gateway):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True), SMTP_URL=smtp.url,
                              WHATSAPP_GATEWAY_URL=gateway.url + "/wa", SMS_GATEWAY_URL=gateway.url + "/sms",
                              NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1",
                              MINILOK_PUBLIC_URL="https://minilok.example") as c:
        yield c


def subscribe(client, channel, target, *, agency_id=10, hook=None, **extra):
    r = client.post("/api/v1/subscriptions", headers=ADMIN, json={
        "agency_id": agency_id, "event_types": ["followup.*"], "channel": channel, "target": target, **extra})
    assert r.status_code == 201, r.text
    if hook is not None:
        hook.secrets.append(r.json()["secret"])
    return r.json()


def sessions(client):
    return client.app.state.sessionmaker


def record(client, event, now=None) -> list[int]:
    """What the consumer does with an event: its deliveries, the ids of those sendable now."""
    with sessions(client).begin() as session:
        return record_event(session, event, now=now)


def send(client, delivery_id) -> str:
    """One attempt, as the worker's `deliver` task makes it."""
    return attempt(sessions(client), client.app.state.settings, delivery_id)[0]


def delivery(client, delivery_id) -> dict:
    r = client.get(f"/api/v1/deliveries/{delivery_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()


def outbox(client, type_="notification.failed") -> list[dict]:
    with sessions(client)() as session:
        rows = session.execute(select(models.outbox.c.body).where(models.outbox.c.type == type_)
                               .order_by(models.outbox.c.id)).all()
    return [json.loads(row.body) for row in rows]


def event(type_="followup.overdue", **kwargs) -> dict:
    return followup_event(str(uuid.uuid4()), type=type_, **kwargs)


# Fallback

def test_a_whatsapp_that_fails_for_good_goes_once_by_email(client, smtp, gateway):
    sub = subscribe(client, "whatsapp", PHONE, fallback={"channel": "email", "target": EMAIL})
    assert sub["fallback"] == {"channel": "email", "target": EMAIL}
    gateway.script.append(400)  # the gateway refuses the number: no retry can help
    first = event()
    (delivery_id,) = record(client, first)
    assert send(client, delivery_id) == "pending"  # moved to the fallback, due at once
    moved = delivery(client, delivery_id)
    assert moved["channel"] == "email" and moved["fallback_used"] is True and moved["attempt_count"] == 0
    assert [a["response_status"] for a in moved["attempts"]] == [400, None]
    assert moved["attempts"][1]["fallback"] == "email"
    assert "dikirim lewat email" in moved["attempts"][1]["error"]
    assert send(client, delivery_id) == "delivered"

    (mail,) = smtp.messages
    assert mail["To"] == EMAIL and "Tindak lanjut terlambat" in mail["Subject"]
    done = delivery(client, delivery_id)
    assert done["status"] == "delivered" and [a["response_status"] for a in done["attempts"]] == [400, None, 250]
    assert len(gateway.requests) == 1
    # Redelivered by the broker, or attempted again: nothing more goes out, on either channel.
    assert record(client, first) == []
    assert send(client, delivery_id) == "skipped"
    assert len(smtp.messages) == 1 and len(gateway.requests) == 1
    assert outbox(client) == []  # it did not fail in the end: nobody is told it did


def test_the_fallback_waits_until_the_retry_budget_is_spent(client, smtp, gateway):
    subscribe(client, "sms", PHONE, fallback={"channel": "email", "target": EMAIL})
    (delivery_id,) = record(client, event())
    gateway.script.append(503)
    assert send(client, delivery_id) == "pending"
    waiting = delivery(client, delivery_id)
    assert waiting["channel"] == "sms" and waiting["fallback_used"] is False and smtp.messages == []
    with sessions(client).begin() as session:  # as if the earlier retries had all failed too
        session.execute(update(models.Delivery).where(models.Delivery.id == delivery_id)
                        .values(attempt_count=MAX_ATTEMPTS - 1, next_attempt_at=utcnow()))
    gateway.script.append(503)
    assert send(client, delivery_id) == "pending"
    assert delivery(client, delivery_id)["channel"] == "email"
    assert send(client, delivery_id) == "delivered"
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == EMAIL


def test_a_failing_fallback_fails_the_delivery_once(client, smtp, gateway):
    subscribe(client, "whatsapp", PHONE, fallback={"channel": "email", "target": EMAIL})
    gateway.script.append(400)
    smtp.reject = "550 No such user"
    (delivery_id,) = record(client, event())
    assert send(client, delivery_id) == "pending"
    assert send(client, delivery_id) == "failed"
    failed = delivery(client, delivery_id)
    assert failed["channel"] == "email" and [a["response_status"] for a in failed["attempts"]] == [400, None, 550]
    assert send(client, delivery_id) == "skipped"  # no third channel, no second fallback
    (notice,) = outbox(client)
    assert notice["data"]["delivery"]["id"] == delivery_id and notice["data"]["delivery"]["channel"] == "email"
    # By hand it starts over on its own channel, and may fall back once more.
    r = client.post(f"/api/v1/deliveries/{delivery_id}/retry", headers=ADMIN)
    assert r.status_code == 200 and r.json()["channel"] == "whatsapp" and r.json()["fallback_used"] is False
    smtp.reject = None
    gateway.script.append(400)
    assert send(client, delivery_id) == "pending" and send(client, delivery_id) == "delivered"
    assert len(gateway.requests) == 2 and len(smtp.messages) == 1


def test_a_digest_falls_back_and_its_members_follow(client, smtp, gateway):
    subscribe(client, "whatsapp", PHONE, digest="daily", fallback={"channel": "email", "target": EMAIL})
    evening = datetime(2026, 2, 21, 12, 0, tzinfo=UTC)  # 19:00 WIB
    for _ in range(2):
        assert record(client, event(), now=evening) == []  # held for the digest
    (digest_id,) = due_deliveries(sessions(client), now=datetime(2026, 2, 22, 0, 1, tzinfo=UTC))
    gateway.script.append(400)
    assert send(client, digest_id) == "pending"
    with sessions(client)() as session:
        members = session.scalars(select(models.Delivery.status).where(models.Delivery.digest_id == digest_id)).all()
    assert members == ["held", "held"]  # the digest is not done yet
    assert send(client, digest_id) == "delivered"
    with sessions(client)() as session:
        rows = session.scalars(select(models.Delivery).order_by(models.Delivery.id)).all()
        assert [(d.event_type == DIGEST_TYPE, d.status) for d in rows] == \
            [(False, "delivered"), (False, "delivered"), (True, "delivered")]
    (mail,) = smtp.messages
    assert mail["To"] == EMAIL


def test_a_fallback_is_checked_like_a_main_target(client):
    def post(fallback, channel="whatsapp", target=PHONE):
        return client.post("/api/v1/subscriptions", headers=ADMIN, json={
            "agency_id": 10, "event_types": ["followup.*"], "channel": channel, "target": target,
            "fallback": fallback})

    def field(r):
        assert r.status_code == 422, r.text
        return [".".join(str(p) for p in e["loc"][1:]) for e in r.json()["detail"]]

    assert "fallback.channel" in field(post({"channel": "webhook", "target": "https://example.org/hook"}))
    assert field(post({"channel": "whatsapp", "target": "+6281234567891"})) == ["fallback.channel"]
    assert field(post({"channel": "sms", "target": "0812 34"})) == ["fallback.target"]
    assert field(post({"channel": "email", "target": "not an address"})) == ["fallback.target"]
    assert field(post({"channel": "email"})) == ["fallback.target"]
    r = post({"channel": "sms", "target": "+62 812-3456-7891"}, channel="webhook", target="https://example.org/h")
    assert r.status_code == 201 and r.json()["fallback"] == {"channel": "sms", "target": "+6281234567891"}
    sub_id = r.json()["id"]
    assert client.get(f"/api/v1/subscriptions/{sub_id}", headers=ADMIN).json()["fallback"]["channel"] == "sms"
    r = client.patch(f"/api/v1/subscriptions/{sub_id}", headers=ADMIN,
                     json={"fallback": {"channel": "email", "target": "Kader@Example.org"}})
    assert r.status_code == 200 and r.json()["fallback"] == {"channel": "email", "target": "Kader@example.org"}
    r = client.patch(f"/api/v1/subscriptions/{sub_id}", headers=ADMIN,
                     json={"fallback": {"channel": "sms", "target": "+62"}})
    assert field(r) == ["fallback.target"]
    assert client.get(f"/api/v1/subscriptions/{sub_id}", headers=ADMIN).json()["fallback"]["channel"] == "email"
    r = client.patch(f"/api/v1/subscriptions/{sub_id}", headers=ADMIN, json={"fallback": None})
    assert r.status_code == 200 and r.json()["fallback"] is None
    plain = post(None)
    assert plain.status_code == 201 and plain.json()["fallback"] is None


# 410 Gone

def test_410_gone_switches_the_webhook_subscription_off_at_once(client, hook, smtp):
    sub = subscribe(client, "webhook", hook.url, hook=hook, fallback={"channel": "email", "target": EMAIL})
    hook.script.append(410)
    (delivery_id,) = record(client, event())
    assert send(client, delivery_id) == "failed"
    gone = delivery(client, delivery_id)
    assert [a["response_status"] for a in gone["attempts"]] == [410] and gone["next_attempt_at"] is None
    assert gone["fallback_used"] is False and smtp.messages == []  # the receiver said stop: no email either
    now_off = client.get(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN).json()
    assert now_off["active"] is False and "410 Gone" in now_off["disabled_reason"]
    (notice,) = outbox(client)
    assert notice["data"]["subscription_disabled"] is True and notice["data"]["delivery"]["id"] == delivery_id
    assert "410" in notice["data"]["disabled_reason"]
    assert record(client, event()) == [] and len(hook.requests) == 1  # it hears nothing more
    r = client.post(f"/api/v1/deliveries/{delivery_id}/retry", headers=ADMIN)
    assert r.status_code == 409


def test_other_4xx_fail_the_delivery_but_leave_the_subscription_on(client, hook):
    sub = subscribe(client, "webhook", hook.url, hook=hook)
    hook.script.append(404)
    (delivery_id,) = record(client, event())
    assert send(client, delivery_id) == "failed"
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN).json()["active"] is True
    assert outbox(client)[0]["data"]["subscription_disabled"] is False


# Recover

def test_recover_sends_again_every_failure_since_then(client, hook, monkeypatch):
    monkeypatch.setattr(deliveries_service, "RECOVER_BATCH", 2)  # five failures: three statements
    sub = subscribe(client, "webhook", hook.url, hook=hook)
    other = subscribe(client, "webhook", hook.url, hook=hook, agency_id=11)
    hook.script.extend([400] * 7)
    failed = [i for e in [event() for _ in range(6)] for i in record(client, e)]
    assert len(failed) == 12  # owner 10 and supporter 11 hear each
    mine = [i for i in failed if delivery(client, i)["subscription_id"] == sub["id"]]
    for delivery_id in mine + [i for i in failed if i not in mine][:1]:
        assert send(client, delivery_id) == "failed"
    with sessions(client).begin() as session:  # the first failed long ago: before `since`
        session.execute(update(models.Delivery).where(models.Delivery.id == mine[0])
                        .values(created_at=utcnow() - timedelta(days=10)))
    since = (utcnow() - timedelta(days=3)).isoformat()
    r = client.post(f"/api/v1/subscriptions/{sub['id']}/recover", headers=ADMIN, json={"since": since})
    assert r.status_code == 202 and r.json() == {"queued": 5}, r.text
    assert delivery(client, mine[0])["status"] == "failed"
    for delivery_id in mine[1:]:
        again = delivery(client, delivery_id)
        assert again["status"] == "pending" and again["attempt_count"] == 0
        assert [a["response_status"] for a in again["attempts"]] == [400]  # the log stays
        assert send(client, delivery_id) == "delivered"
    assert [d["status"] for d in client.get("/api/v1/deliveries", headers=ADMIN,
                                            params={"subscription_id": other["id"], "status": "failed"})
            .json()["items"]] == ["failed"]  # another subscription's failure stays as it was
    r = client.post(f"/api/v1/subscriptions/{sub['id']}/recover", headers=ADMIN, json={"since": since})
    assert r.json() == {"queued": 0}


def test_recover_brings_a_fallen_back_delivery_home_first(client, gateway, smtp):
    sub = subscribe(client, "whatsapp", PHONE, fallback={"channel": "email", "target": EMAIL})
    gateway.script.append(400)
    smtp.reject = "550 No such user"
    (delivery_id,) = record(client, event())
    assert send(client, delivery_id) == "pending" and send(client, delivery_id) == "failed"
    r = client.post(f"/api/v1/subscriptions/{sub['id']}/recover", headers=ADMIN,
                    json={"since": (utcnow() - timedelta(hours=1)).isoformat()})
    assert r.json() == {"queued": 1}
    back = delivery(client, delivery_id)
    assert back["channel"] == "whatsapp" and back["fallback_used"] is False and back["status"] == "pending"
    assert send(client, delivery_id) == "delivered" and len(gateway.requests) == 2


def test_recover_refuses_what_it_cannot_do_in_words(client, hook):
    sub = subscribe(client, "webhook", hook.url, hook=hook)
    url = f"/api/v1/subscriptions/{sub['id']}/recover"
    recent = (utcnow() - timedelta(days=1)).isoformat()
    r = client.post(url, headers=ADMIN, json={"since": (utcnow() - timedelta(days=31)).isoformat()})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "since"] and "30" in r.text
    for bad in ({}, {"since": "kemarin"}, {"since": "2026-02-20T10:00:00"}, {"since": recent, "until": recent}):
        assert client.post(url, headers=ADMIN, json=bad).status_code == 422
    assert client.post(url, headers=token("agency", agency_id=11), json={"since": recent}).status_code == 403
    assert client.post(url, headers=token("agency", agency_id=10), json={"since": recent}).status_code == 202
    assert client.post("/api/v1/subscriptions/999999/recover", headers=ADMIN,
                       json={"since": recent}).status_code == 404
    client.patch(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN, json={"active": False})
    r = client.post(url, headers=ADMIN, json={"since": recent})
    assert r.status_code == 409 and "nonaktif" in r.json()["detail"]


def test_recover_leaves_a_digests_members_to_their_digest(client, hook):
    sub = subscribe(client, "webhook", hook.url, hook=hook, digest="daily")
    two_days_ago = utcnow() - timedelta(days=2)  # held until a 07:00 that has passed
    for _ in range(3):
        record(client, event(), now=two_days_ago)
    (digest_id,) = due_deliveries(sessions(client))
    hook.script.append(400)
    assert send(client, digest_id) == "failed"
    r = client.post(f"/api/v1/subscriptions/{sub['id']}/recover", headers=ADMIN,
                    json={"since": (utcnow() - timedelta(days=3)).isoformat()})
    assert r.json() == {"queued": 1}  # the digest, once: its members are not sent one by one
    assert send(client, digest_id) == "delivered"
    assert len(hook.events()) == 1 and hook.events()[0]["data"]["count"] == 3
    with sessions(client)() as session:
        assert session.scalars(select(models.Delivery.status).where(models.Delivery.digest_id == digest_id)) \
            .all() == ["delivered"] * 3


# Urgent events

NIGHT = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)  # 22:00 WIB, inside 21:00-06:00


def escalation(level: int, **data) -> dict:
    e = event("followup.escalated", escalated=[30])
    e["data"]["followup"]["escalation_level"] = level
    e["data"].update(data)
    return e


def test_an_escalation_to_level_3_is_sent_at_once_inside_quiet_hours(client, hook):
    subscribe(client, "webhook", hook.url, hook=hook, agency_id=30, quiet_hours={"start": "21:00", "end": "06:00"})
    assert record(client, escalation(2), now=NIGHT) == []  # held until 06:00
    urgent = escalation(3)
    (delivery_id,) = record(client, urgent, now=NIGHT)
    assert send(client, delivery_id) == "delivered"
    marked = event("followup.updated", owner=30, supporters=())
    marked["data"]["urgent"] = True
    (marked_id,) = record(client, marked, now=NIGHT)
    assert send(client, marked_id) == "delivered"
    assert [e["id"] for e in hook.events()] == [urgent["id"], marked["id"]]
    with sessions(client)() as session:
        held = session.scalars(select(models.Delivery).where(models.Delivery.status == "held")).all()
        assert len(held) == 1 and held[0].next_attempt_at == datetime(2026, 2, 20, 23, 0, tzinfo=UTC)


def test_an_urgent_event_is_not_gathered_into_the_digest(client, hook):
    subscribe(client, "webhook", hook.url, hook=hook, agency_id=30, digest="daily")
    assert record(client, escalation(1), now=NIGHT) == []
    urgent = escalation(4)
    (delivery_id,) = record(client, urgent, now=NIGHT)
    assert send(client, delivery_id) == "delivered"
    (digest_id,) = due_deliveries(sessions(client), now=datetime(2026, 2, 21, 0, 1, tzinfo=UTC))
    assert send(client, digest_id) == "delivered"
    first, digest = hook.events()
    assert first["id"] == urgent["id"] and digest["type"] == DIGEST_TYPE
    assert [e["data"]["followup"]["escalation_level"] for e in digest["data"]["events"]] == [1]


# Meetings for invited agencies

def meeting_event(type_: str, invited: list[int]) -> dict:
    return new_event(type_, "/meetings", 4, {"meeting": {
        "id": 4, "puskesmas_id": 1, "puskesmas_name": "Puskesmas Baloi Permai", "kind": "quarterly_cross_sector",
        "title": "Lokakarya mini lintas sektor triwulan I", "scheduled_at": "2026-05-20T02:00:00+00:00",
        "location": "Aula Kantor Camat Batam Kota", "status": "scheduled", "timezone": "Asia/Jakarta",
        "invited_agency_ids": invited, "url": "https://minilok.example/meetings/4"}}, puskesmasid=1)


def test_an_invited_agency_hears_meeting_updated_and_one_not_invited_does_not(client, hook):
    invited = subscribe(client, "webhook", hook.url, hook=hook, agency_id=20, event_types=["meeting.*"])
    subscribe(client, "webhook", hook.url, hook=hook, agency_id=21, event_types=["meeting.*"])
    subscribe(client, "webhook", hook.url, hook=hook, agency_id=20, event_types=["followup.*"])
    updated, cancelled = meeting_event("meeting.updated", [20, 22]), meeting_event("meeting.cancelled", [20])
    ids = record(client, updated) + record(client, cancelled)
    assert [send(client, i) for i in ids] == ["delivered", "delivered"]
    assert {delivery(client, i)["subscription_id"] for i in ids} == {invited["id"]}
    assert [e["type"] for e in hook.events()] == ["meeting.updated", "meeting.cancelled"]
    assert record(client, meeting_event("meeting.updated", [21, 22])) != []  # now 21 is invited
    r = client.post("/api/v1/subscriptions", headers=token("agency", agency_id=21), json={
        "event_types": ["meeting.updated", "meeting.cancelled"], "channel": "webhook", "target": hook.url})
    assert r.status_code == 201, r.text


# What the provider calls the message

def test_the_providers_message_id_is_kept_on_the_delivery():
    row = models.Delivery(attempts=[], attempt_count=0, status="pending")
    apply_result(row, SendResult(response_status=200, provider_message_id="wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFDNB"),
                 utcnow(), 1.0)
    assert row.status == "delivered" and row.provider_message_id == "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFDNB"
    apply_result(row, SendResult(response_status=200), utcnow(), 1.0)  # a later answer without one keeps it
    assert row.provider_message_id == "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFDNB"


# Through the real processes

def test_the_worker_sends_the_fallback_at_once_and_the_email_arrives_once(monkeypatch, tmp_path, database_url,
                                                                         rabbitmq_url, smtp, gateway):
    """The consumer records the event, the worker's attempt fails for good on WhatsApp, and the same
    worker queues the fallback itself (no sweep running): one email."""
    db_url = database_url("notifications", migrated=True)
    env = {"NOTIFICATIONS_DATABASE_URL": db_url, "RABBITMQ_URL": rabbitmq_url, "MINILOK_VAR_DIR": str(tmp_path),
           "SMTP_URL": smtp.url, "WHATSAPP_GATEWAY_URL": gateway.url + "/wa",
           "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": "2"}
    procs = Processes(env, tmp_path)
    with notifications_client(monkeypatch, db_url, **env) as c:
        stack = Stack(procs, c, gateway, db_url, rabbitmq_url)
        try:
            subscribe(c, "whatsapp", PHONE, fallback={"channel": "email", "target": EMAIL})
            gateway.script.append(400)
            stack.start(consumers=1, workers=1)
            overdue = event()
            stack.publish(overdue, overdue)
            wait_for(lambda: smtp.messages, 20, message="the fallback email")
            time.sleep(1.5)  # room for a second one, if there were one
            (mail,) = smtp.messages
            assert mail["To"] == EMAIL and len(gateway.requests) == 1
            (row,) = stack.deliveries()
            assert row.status == "delivered" and row.channel == "email" and row.fallback_used
        finally:
            procs.stop_all()
            stack.engine.dispose()


def test_the_meetings_own_events_reach_the_invited_agency_and_no_other(service_api, monkeypatch, hook):
    """The events the meetings service writes (invite on creation, move, re-invite, cancel), fed to
    the notifications service as its consumer would: each goes to the agencies invited at the time."""
    from test_meetings_followups import outbox_events, setup_puskesmas

    monkeypatch.setenv("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "1")
    meetings = service_api("meetings")
    ids = setup_puskesmas(meetings)
    notifications = service_api("notifications")
    subs = {}
    for name in ("kelurahan", "kecamatan", "rt"):
        r = notifications.post("/api/v1/subscriptions", headers=notifications.headers("agency", agency_id=ids[name]),
                               json={"event_types": ["meeting.*"], "channel": "webhook", "target": hook.url})
        assert r.status_code == 201, r.text
        hook.secrets.append(r.json()["secret"])
        subs[r.json()["id"]] = name
    r = meetings.post("/api/v1/meetings", json={
        "puskesmas_id": ids["puskesmas"], "kind": "quarterly_cross_sector", "title": "Minilok triwulan I 2026",
        "scheduled_at": "2026-03-18T09:00:00+08:00", "location": "Aula Kelurahan Baru Tengah",
        "invited_agency_ids": [ids["kelurahan"], ids["kecamatan"]]})
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    assert meetings.patch(f"/api/v1/meetings/{mid}", json={"location": "Kantor Camat"}).status_code == 200
    assert meetings.put(f"/api/v1/meetings/{mid}/invitations", json=[ids["kelurahan"], ids["rt"]]).status_code == 200
    assert meetings.post(f"/api/v1/meetings/{mid}/cancel", json={"reason": "Bentrok jadwal"}).status_code == 200
    heard = []
    for event in outbox_events(meetings):
        if event["type"].startswith("meeting."):
            for delivery_id in record(notifications.client, event):
                assert send(notifications.client, delivery_id) == "delivered"
                row = delivery(notifications.client, delivery_id)
                heard.append((event["type"], subs[row["subscription_id"]]))
    assert sorted(heard) == sorted([
        ("meeting.scheduled", "kelurahan"), ("meeting.scheduled", "kecamatan"),
        ("meeting.updated", "kelurahan"), ("meeting.updated", "kecamatan"),  # moved
        # re-invited: the kecamatan is out, and hears that once (its calendar drops the meeting)
        ("meeting.updated", "kelurahan"), ("meeting.updated", "rt"), ("meeting.updated", "kecamatan"),
        ("meeting.cancelled", "kelurahan"), ("meeting.cancelled", "rt")])
    assert len(hook.events()) == 9
