"""Retry schedule and outcome of an answer."""

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from minilok_notifications.channels import SendResult
from minilok_notifications.domain.retries import (
    BASE_DELAYS_SECONDS,
    JITTER,
    MAX_ATTEMPTS,
    classify,
    parse_retry_after,
    retry_delay,
)
from minilok_notifications.service_layer.attempts import apply_result

NOW = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("status,outcome", [
    (200, "delivered"), (204, "delivered"), (500, "retry"), (503, "retry"), (429, "retry"), (408, "retry"),
    (None, "retry"), (400, "failed"), (401, "failed"), (404, "failed"), (410, "failed"), (301, "failed"),
])
def test_classify(status, outcome):
    assert classify(status) == outcome


def test_eight_attempts_over_about_a_day():
    assert MAX_ATTEMPTS == 8 and len(BASE_DELAYS_SECONDS) == MAX_ATTEMPTS - 1
    total = sum(BASE_DELAYS_SECONDS)
    assert 18 * 3600 <= total <= 30 * 3600
    assert list(BASE_DELAYS_SECONDS) == sorted(BASE_DELAYS_SECONDS)
    assert retry_delay(MAX_ATTEMPTS) is None


def test_jitter_stays_within_bounds_and_varies():
    rng = random.Random(1)
    delays = [retry_delay(3, rng=rng) for _ in range(200)]
    base = BASE_DELAYS_SECONDS[2]
    assert all(base * (1 - JITTER) <= d <= base * (1 + JITTER) for d in delays)
    assert len(set(delays)) > 100


def test_retry_after_is_honoured_and_scale_shrinks():
    assert retry_delay(1, retry_after=120) >= 120
    assert retry_delay(1, scale=0.01) < 1


def test_parse_retry_after():
    assert parse_retry_after("30") == 30
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Fri, 20 Feb 2026 08:01:00 GMT", now=NOW) == 60
    assert parse_retry_after("999999") == 86400


def delivery():
    return SimpleNamespace(attempts=[], attempt_count=0, last_response_status=None, last_error=None, lease_until=NOW,
                           status="pending", delivered_at=None, next_attempt_at=NOW)


def test_apply_result_delivered():
    d = delivery()
    assert apply_result(d, SendResult(response_status=200), NOW, 1.0) is None
    assert d.status == "delivered" and d.lease_until is None and d.next_attempt_at is None
    assert d.attempts == [{"at": NOW.isoformat(), "response_status": 200, "error": None}]


def test_apply_result_retries_then_fails_after_eight():
    d = delivery()
    for _ in range(1, MAX_ATTEMPTS):
        delay = apply_result(d, SendResult(response_status=503, error="HTTP 503"), NOW, 1.0)
        assert delay is not None and d.status == "pending"
        assert d.next_attempt_at == NOW + timedelta(seconds=delay)
    assert apply_result(d, SendResult(error="timeout"), NOW, 1.0) is None
    assert d.status == "failed" and len(d.attempts) == MAX_ATTEMPTS


def test_apply_result_4xx_fails_at_once():
    d = delivery()
    apply_result(d, SendResult(response_status=404, error="HTTP 404"), NOW, 1.0)
    assert d.status == "failed" and d.attempt_count == 1


def test_permanent_error_fails_at_once():
    d = delivery()
    apply_result(d, SendResult(error="blocked", permanent=True), NOW, 1.0)
    assert d.status == "failed"
