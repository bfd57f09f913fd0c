"""Outbound HTTP is bounded (issue 13): a webhook or gateway answering 200 MB, or one byte a second,
costs one attempt within the overall deadline and little memory, never a second send."""

from __future__ import annotations

import time
import tracemalloc
import uuid

import pytest
from minilok_notifications.service_layer.attempts import attempt, lease_seconds
from minilok_notifications.service_layer.fan_out import record_event
from test_notifications_support import NastyServer, followup_event, notifications_client, token

ADMIN = token("admin")
DEADLINE = 2


@pytest.fixture
def client(monkeypatch, database_url):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True),
                              NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1",
                              NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS=str(DEADLINE)) as c:
        yield c


def deliver_once(client, server, channel="webhook"):
    """One attempt at a fresh delivery to `server`, as the worker makes it: (delivery, seconds, peak
    bytes allocated meanwhile)."""
    target = server.url if channel == "webhook" else "+6281234567890"
    r = client.post("/api/v1/subscriptions", headers=ADMIN, json={
        "agency_id": 10, "event_types": ["followup.*"], "channel": channel, "target": target})
    assert r.status_code == 201, r.text
    state = client.app.state
    with state.sessionmaker.begin() as session:
        (delivery_id,) = record_event(session, followup_event(str(uuid.uuid4())))
    tracemalloc.start()
    started = time.monotonic()
    try:
        attempt(state.sessionmaker, state.settings, delivery_id)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert attempt(state.sessionmaker, state.settings, delivery_id) == ("skipped", None)
    return client.get(f"/api/v1/deliveries/{delivery_id}", headers=ADMIN).json(), elapsed, peak


@pytest.mark.parametrize("status,outcome", [(200, "delivered"), (500, "pending")])
def test_a_200_mb_answer_is_read_to_a_few_kb(client, status, outcome):
    server = NastyServer("huge", status)
    try:
        delivery, elapsed, peak = deliver_once(client, server)
    finally:
        server.close()
    assert delivery["status"] == outcome and len(delivery["attempts"]) == 1
    assert delivery["attempts"][0]["response_status"] == status
    assert server.requests == 1 and server.sent < 50 * 2**20  # hung up long before the end
    assert elapsed < DEADLINE + 1.5 and peak < 8 * 2**20  # cut off at the deadline at the latest
    if status == 500:
        assert delivery["last_error"].startswith("HTTP 500: xxx") and len(delivery["last_error"]) < 300


def test_an_answer_one_byte_a_second_ends_at_the_deadline(client):
    server = NastyServer("trickle_head")
    try:
        delivery, elapsed, _peak = deliver_once(client, server)
    finally:
        server.close()
    assert DEADLINE - 0.1 < elapsed < DEADLINE + 1.5
    assert delivery["status"] == "pending" and len(delivery["attempts"]) == 1 and server.requests == 1
    assert delivery["attempts"][0]["response_status"] is None and "timeout" in delivery["attempts"][0]["error"]


def test_a_body_trickling_after_the_status_is_cut_off(client):
    server = NastyServer("trickle_body", 200)
    try:
        delivery, elapsed, _peak = deliver_once(client, server)
    finally:
        server.close()
    assert delivery["status"] == "delivered" and len(delivery["attempts"]) == 1 and server.requests == 1
    assert elapsed < DEADLINE + 1.5


def test_a_gateway_is_bounded_the_same_way(monkeypatch, database_url):
    server = NastyServer("huge", 503)
    try:
        with notifications_client(monkeypatch, database_url("notifications", migrated=True), SMS_GATEWAY_URL=server.url,
                                  NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS=str(DEADLINE)) as client:
            delivery, elapsed, peak = deliver_once(client, server, channel="sms")
    finally:
        server.close()
    assert delivery["status"] == "pending" and delivery["attempts"][0]["response_status"] == 503
    assert server.requests == 1 and elapsed < DEADLINE + 1.5 and peak < 8 * 2**20


def test_the_lease_outlasts_the_deadline(client):
    settings = client.app.state.settings
    assert settings.webhook_timeout_seconds == DEADLINE
    assert lease_seconds(settings) > 2 * DEADLINE
