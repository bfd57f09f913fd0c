"""Regression tests of the notifications service's hardening (issue 13): malformed ids in events,
secrets that can no longer be decrypted, escaping and subjects, and the target guard's keys."""

from __future__ import annotations

import json

import pytest
from minilok_notifications import models
from minilok_notifications.handlers import handlers
from minilok_notifications.service_layer.attempts import attempt
from minilok_notifications.service_layer.fan_out import record_event
from minilok_shared.events.consumer import EventConsumer
from sqlalchemy import select
from test_notifications_support import TEST_SECRET, Receiver, followup_event, notifications_client, token

ADMIN = token("admin")
TOO_BIG = str(2**63)


def subscribe(client, **overrides) -> dict:
    body = {"agency_id": 10, "event_types": ["followup.*"], "channel": "email", "target": "kader@example.org",
            **overrides}
    r = client.post("/api/v1/subscriptions", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


def test_ids_beyond_63_bits_or_not_numeric_are_ignored_not_dead_lettered(monkeypatch, database_url):
    """Through the consumer's handler path: the event is handled (not raised, so not dead-lettered)
    and reaches exactly the subscriptions its valid ids name."""
    url = database_url("notifications", migrated=True)
    with notifications_client(monkeypatch, url) as client:
        owner = subscribe(client, agency_id=10)
        subscribe(client, agency_id=11)
        watch = subscribe(client, agency_id=1, filters={"puskesmas_id": 1})
        consumer = EventConsumer("notifications", client.app.state.engine, models.inbox, handlers,
                                 "amqp://unused")
        huge = followup_event("aaaaaaaa-0000-0000-0000-000000000001", owner=10, supporters=(), puskesmas=1)
        huge["data"]["followup"]["supporting_agency_ids"] = [TOO_BIG, "9" * 30, "²", "abc", None]
        huge["data"]["escalated_to_agency_ids"] = [2**70]
        assert consumer.handle(huge) == "handled"
        stray = followup_event("aaaaaaaa-0000-0000-0000-000000000002", owner=10, supporters=(), puskesmas=1)
        stray["data"]["followup"]["puskesmas_id"] = TOO_BIG
        stray["puskesmasid"] = TOO_BIG
        stray["data"]["followup"]["owner_agency_id"] = "1" * 25
        stray["ownerid"] = "1" * 25
        assert consumer.handle(stray) == "handled"
        with client.app.state.sessionmaker() as session:
            reached = session.execute(select(models.Delivery.event_id, models.Delivery.subscription_id)
                                      .order_by(models.Delivery.id)).all()
    assert reached == [(huge["id"], owner["id"]), (huge["id"], watch["id"])]


ROTATED = "minilok-rotated-secret-" + "9" * 40


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_a_webhook_secret_no_key_can_decrypt_fails_for_good_and_says_why(monkeypatch, database_url, receiver):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True),
                              NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1") as client:
        subscribe(client, channel="webhook", target=receiver.url)
        factory = client.app.state.sessionmaker
        with factory.begin() as session:
            (delivery_id,) = record_event(session, followup_event("bbbbbbbb-0000-0000-0000-000000000001"))
        # MINILOK_SECRET rotated, MINILOK_SECRET_PREVIOUS not set
        rotated = client.app.state.settings.model_copy(update={"minilok_secret": ROTATED,
                                                               "minilok_secret_previous": ""})
        assert attempt(factory, rotated, delivery_id) == ("failed", None)
        assert attempt(factory, rotated, delivery_id) == ("skipped", None)  # not retried
        delivery = client.get(f"/api/v1/deliveries/{delivery_id}", headers=ADMIN).json()
        with factory() as session:
            notices = [json.loads(b) for b in session.scalars(select(models.outbox.c.body))]
    assert receiver.requests == []
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    (tried,) = delivery["attempts"]
    assert "tidak dapat dibuka" in tried["error"] and "cannot be decrypted" in tried["error"]
    assert "MINILOK_SECRET_PREVIOUS" in tried["error"]
    assert [n["type"] for n in notices] == ["notification.failed"]
    assert notices[0]["data"]["delivery"]["id"] == delivery_id


def test_minilok_secret_previous_keeps_old_webhook_secrets_readable(monkeypatch, database_url, receiver):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True),
                              NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1") as client:
        sub = subscribe(client, channel="webhook", target=receiver.url)
        receiver.secrets.append(sub["secret"])
        factory = client.app.state.sessionmaker
        with factory.begin() as session:
            (delivery_id,) = record_event(session, followup_event("bbbbbbbb-0000-0000-0000-000000000002"))
        during_rotation = client.app.state.settings.model_copy(update={"minilok_secret": ROTATED,
                                                                       "minilok_secret_previous": TEST_SECRET})
        assert attempt(factory, during_rotation, delivery_id) == ("delivered", None)
    (request,) = receiver.requests
    assert request["verified"]
