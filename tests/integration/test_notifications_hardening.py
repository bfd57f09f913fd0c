"""Regression tests of the notifications service's hardening (issue 13): malformed ids in events,
secrets that can no longer be decrypted, escaping and subjects, and the target guard's keys."""

from __future__ import annotations

from minilok_notifications import models
from minilok_notifications.handlers import handlers
from minilok_shared.events.consumer import EventConsumer
from sqlalchemy import select
from test_notifications_support import followup_event, notifications_client, token

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
    url = database_url("notifications")
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
