"""A slow or dead endpoint does not hold up the others: per-target concurrency limit and circuit
breaker, shared by all workers through the real Redis."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from minilok_notifications.channels import Message, SendResult
from minilok_notifications.channels.target_guard import TargetGuard, target_key
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.service_layer.attempts import apply_result
from test_notifications_support import Receiver, notifications_client, send_test, token

ADMIN = token("admin")


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def message(url: str) -> Message:
    return Message(delivery_id=1, message_id=f"msg_{uuid.uuid4().hex}", subscription_id=1, channel="webhook",
                   target=url, language="id", timezone="Asia/Jakarta", body="{}")


def test_concurrency_limit_defers_without_counting_an_attempt():
    settings = NotificationsSettings(NOTIFICATIONS_TARGET_CONCURRENCY=2)
    guard = TargetGuard(settings)
    url = f"http://hooks-{uuid.uuid4().hex[:6]}.example.org/in"
    first, second, third = message(url), message(url), message(url)
    key = target_key(first, settings)
    assert guard.before_send(key, first.message_id) is None
    assert guard.before_send(key, second.message_id) is None
    busy = guard.before_send(key, third.message_id)
    assert busy is not None and busy.deferred and busy.retry_after <= 1.5
    guard.after_send(key, first.message_id, SendResult(response_status=200))
    assert guard.before_send(key, third.message_id) is None

    now = datetime.now(UTC)
    delivery = SimpleNamespace(attempts=[], attempt_count=0, lease_until=now, next_attempt_at=now, status="pending")
    assert apply_result(delivery, busy, now, 1.0) == busy.retry_after
    assert delivery.attempts == [] and delivery.attempt_count == 0 and delivery.lease_until is None


def test_circuit_breaker_spares_a_failing_target(monkeypatch, database_url, receiver):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True),
                              NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1", NOTIFICATIONS_BREAKER_THRESHOLD="2",
                              NOTIFICATIONS_BREAKER_COOLDOWN_SECONDS="1") as client:
        sub = client.post("/api/v1/subscriptions", headers=ADMIN, json={
            "agency_id": 10, "event_types": ["followup.*"], "channel": "webhook", "target": receiver.url}).json()
        receiver.script.extend([500, 503])
        assert [send_test(client, sub["id"])["last_response_status"] for _ in range(2)] == [500, 503]
        spared = send_test(client, sub["id"])
        assert spared["status"] == "pending" and "circuit open" in spared["attempts"][0]["error"]
        assert len(receiver.requests) == 2  # the open circuit did not call the target
        time.sleep(1.1)
        assert send_test(client, sub["id"])["status"] == "delivered"
        assert len(receiver.requests) == 3


def test_keys_and_log_lines_never_carry_credentials(caplog):
    """Only host and port of a target reach Redis and the logs, never a user:password or a token."""
    import logging

    settings = NotificationsSettings(SMTP_URL="smtp://mailer:pw-s3cr3t@127.0.0.1:2525",
                                     WHATSAPP_GATEWAY_URL="https://gw:pw-s3cr3t@127.0.0.1:9443/send?key=k-s3cr3t",
                                     SMS_GATEWAY_URL="http://127.0.0.1:9/sms?api_token=t-s3cr3t",
                                     NOTIFICATIONS_BREAKER_THRESHOLD=1)
    guard = TargetGuard(settings)
    webhook = message("http://127.0.0.1:9/hook?token=tok-s3cr3t")
    keys = []
    for channel in ("webhook", "email", "whatsapp", "sms"):
        m = Message(**{**webhook.__dict__, "channel": channel})
        keys.append(target_key(m, settings))
        with caplog.at_level(logging.INFO, logger="minilok_notifications"):
            assert guard.before_send(keys[-1], m.message_id) is None
            guard.after_send(keys[-1], m.message_id, SendResult(response_status=503))
    assert keys == ["webhook:127.0.0.1:9", "smtp:127.0.0.1:2525", "whatsapp:127.0.0.1:9443", "sms:127.0.0.1:9"]
    stored = [k.decode() for k in guard.redis.scan_iter(match=guard.prefix + "*", count=1000)]
    assert {f"{guard.prefix}{k}:open" for k in keys} <= set(stored)
    assert caplog.records and all("circuit open" in r.getMessage() for r in caplog.records)
    assert not [k for k in stored if "s3cr3t" in k]
    assert "s3cr3t" not in caplog.text and "mailer" not in caplog.text
    guard.redis.delete(*stored)
