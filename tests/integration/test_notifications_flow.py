"""End to end through the real processes: events on RabbitMQ → `minilok consume notifications`
→ deliveries → `minilok worker notifications` → a real local webhook receiver that verifies
every signature. Redelivered events, competing consumers and workers, retries, permanent
failure with `notification.failed`, and the sweep that recovers a lost enqueue."""

from __future__ import annotations

import json
import time
import uuid

import pika
import pytest
from minilok_notifications import models
from minilok_notifications.service_layer.fan_out import record_event
from minilok_shared.db import make_engine, make_sessionmaker
from minilok_shared.events import EXCHANGE
from minilok_shared.events.envelope import CONTENT_TYPE, dumps
from minilok_shared.events.outbox import declare_exchange
from sqlalchemy import select
from support import Processes, purge_queues, wait_for
from test_notifications_support import Receiver, followup_event, notifications_client, token

ADMIN = token("admin")


class Stack:
    def __init__(self, procs: Processes, client, receiver: Receiver, db_url: str, rabbitmq_url: str):
        self.procs, self.client, self.receiver, self.rabbitmq_url = procs, client, receiver, rabbitmq_url
        self.engine = make_engine(db_url)
        self.sessions = make_sessionmaker(self.engine)

    def start(self, consumers=1, workers=1, relay=False, beat=False):
        """Start the processes together (they boot in parallel) and wait until each is ready."""
        purge_queues(self.rabbitmq_url, ["notifications"])
        ready = {}
        for n in range(1, consumers + 1):
            self.procs.start(f"consumer{n}", "consume", "notifications")
            ready[f"consumer{n}"] = "consuming minilok.notifications"
        for n in range(1, workers + 1):
            self.procs.start(f"worker{n}", "worker", "notifications", "--concurrency", "1",
                             "--hostname", f"worker{n}@%h")
            ready[f"worker{n}"] = "ready"
        if relay:
            self.procs.start("relay", "relay", "notifications")
        if beat:
            self.procs.start("beat", "beat")
        for name, line in ready.items():
            wait_for(lambda name=name, line=line: line in self.procs.log(name), 30, message=f"{name} up")

    def subscribe(self, agency_id=10, **overrides) -> dict:
        body = {"agency_id": agency_id, "event_types": ["followup.*"], "channel": "webhook",
                "target": self.receiver.url, **overrides}
        r = self.client.post("/api/v1/subscriptions", json=body, headers=ADMIN)
        assert r.status_code == 201, r.text
        self.receiver.secrets.append(r.json()["secret"])
        return r.json()

    def publish(self, *events: dict) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.rabbitmq_url))
        channel = connection.channel()
        channel.confirm_delivery()
        declare_exchange(channel)
        for event in events:
            channel.basic_publish(EXCHANGE, event["type"], dumps(event),
                                  pika.BasicProperties(content_type=CONTENT_TYPE, message_id=event["id"],
                                                       delivery_mode=pika.DeliveryMode.Persistent))
        connection.close()

    def deliveries(self, **where) -> list[models.Delivery]:
        with self.sessions() as session:
            query = select(models.Delivery).order_by(models.Delivery.id)
            for name, value in where.items():
                query = query.where(getattr(models.Delivery, name) == value)
            return list(session.scalars(query))


@pytest.fixture
def stack(monkeypatch, tmp_path, database_url, rabbitmq_url):
    db_url = database_url("notifications", migrated=True)
    receiver = Receiver()
    env = {"NOTIFICATIONS_DATABASE_URL": db_url, "RABBITMQ_URL": rabbitmq_url, "MINILOK_VAR_DIR": str(tmp_path),
           "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "1", "NOTIFICATIONS_RETRY_SCALE": "0.002",
           "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": "1", "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS": "1"}
    procs = Processes(env, tmp_path)
    with notifications_client(monkeypatch, db_url, **env) as client:
        s = Stack(procs, client, receiver, db_url, rabbitmq_url)
        try:
            yield s
        finally:
            procs.stop_all()
            receiver.close()
            s.engine.dispose()


def test_one_verified_delivery_per_event_and_subscriber(stack):
    """Two consumers, two workers, the event published twice: one signed delivery per subscriber."""
    owner = stack.subscribe(agency_id=10)
    stranger = stack.subscribe(agency_id=99)
    stack.start(consumers=2, workers=2)
    event = followup_event(str(uuid.uuid4()), owner=10, supporters=())
    started = time.monotonic()
    stack.publish(event, event)
    wait_for(lambda: stack.receiver.events(), 15, message="the webhook")
    took = time.monotonic() - started
    time.sleep(1.5)  # room for a duplicate to show up, if there were one
    deliveries = stack.deliveries(event_id=event["id"])
    assert len(deliveries) == 1, [(d.subscription_id, d.event_type, d.status, d.attempts) for d in deliveries]
    (delivery,) = deliveries
    assert delivery.subscription_id == owner["id"] and delivery.status == "delivered"
    requests = stack.receiver.requests
    # One delivery, sent by one worker at a time. On a loaded machine the receiver (in this process)
    # can answer later than the 1 s deadline: that attempt is recorded as a timeout and retried with
    # the same webhook-id, which a receiver drops as a repeat. Anything else sent twice is a bug.
    assert len(requests) == len(delivery.attempts), (requests, delivery.attempts)
    assert all("timeout" in (a["error"] or "") for a in delivery.attempts[:-1]), delivery.attempts
    assert delivery.attempts[-1]["error"] is None
    for request in requests:
        assert json.loads(request["body"]) == event  # the CloudEvent as published
        assert request["verified"] and request["headers"]["content-type"] == "application/cloudevents+json"
        assert request["headers"]["webhook-id"] == delivery.message_id
    assert stack.deliveries(subscription_id=stranger["id"]) == []
    assert took < 5, f"delivery took {took:.1f}s"


def test_retry_then_success(stack):
    stack.subscribe(agency_id=10)
    stack.start()
    stack.receiver.script.extend([500, ("status", 429, {"Retry-After": "1"}), ("sleep", 2)])
    event = followup_event(str(uuid.uuid4()), owner=10)
    stack.publish(event)
    wait_for(lambda: stack.receiver.events(), 30, message="the webhook after retries")
    (delivery,) = wait_for(lambda: [d for d in stack.deliveries() if d.status == "delivered"], 10,
                           message="delivered")
    assert [a["response_status"] for a in delivery.attempts] == [500, 429, None, 200]
    assert "timeout" in delivery.attempts[2]["error"]
    requests = stack.receiver.requests
    assert len(requests) == 4 and all(r["verified"] for r in requests)
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1  # stable across retries
    assert stack.receiver.events() == [event]


def test_permanent_failure_emits_notification_failed(stack):
    sub = stack.subscribe(agency_id=10)
    stack.receiver.script.append(404)  # fails at once; a 410 would switch the subscription off
    connection = pika.BlockingConnection(pika.URLParameters(stack.rabbitmq_url))
    channel = connection.channel()
    declare_exchange(channel)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, "notification.failed")
    stack.start(relay=True)
    event = followup_event(str(uuid.uuid4()), owner=10)
    stack.publish(event)
    (delivery,) = wait_for(lambda: [d for d in stack.deliveries() if d.status == "failed"], 20, message="failed")
    assert [a["response_status"] for a in delivery.attempts] == [404]

    def failed_event():
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        return json.loads(body) if method else None

    notice = wait_for(failed_event, 20, interval=0.2, message="notification.failed on the exchange")
    connection.close()
    assert notice["type"] == "notification.failed" and notice["source"] == "/notifications"
    assert notice["data"]["delivery"]["event_id"] == event["id"]
    assert notice["data"]["delivery"]["subscription_id"] == sub["id"]
    # kept for a manual retry, which now succeeds
    r = stack.client.post(f"/api/v1/deliveries/{delivery.id}/retry", headers=ADMIN)
    assert r.status_code == 200
    wait_for(lambda: stack.deliveries()[0].status == "delivered", 15, message="delivered after a manual retry")
    assert stack.receiver.events() == [event]


def test_sweep_recovers_a_lost_enqueue(stack):
    """A delivery committed but never queued (a crash between commit and enqueue) still goes out:
    beat runs the sweep, the worker sends it."""
    stack.subscribe(agency_id=10)
    event = followup_event(str(uuid.uuid4()), owner=10)
    with stack.sessions.begin() as session:
        assert len(record_event(session, event)) == 1  # recorded; the enqueue is "lost"
    stack.start(consumers=0, beat=True)
    wait_for(lambda: stack.deliveries()[0].status == "delivered", 20, message="the swept delivery")
    assert stack.receiver.events() == [event]


def test_test_endpoint_answers_202_and_a_worker_sends_it(stack):
    """`POST /subscriptions/{id}/test` only queues: the answer is the pending delivery, and the
    worker process sends it (a slow target never holds up the API)."""
    sub = stack.subscribe(agency_id=10)
    stack.start(consumers=0)
    r = stack.client.post(f"/api/v1/subscriptions/{sub['id']}/test", headers=ADMIN)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["attempts"] == []
    wait_for(lambda: stack.deliveries()[0].status == "delivered", 20, message="the test delivery")
    (event,) = stack.receiver.events()
    assert event["type"] == "notification.test" and event["id"] == r.json()["event_id"]
