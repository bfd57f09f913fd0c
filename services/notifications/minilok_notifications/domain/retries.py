"""When to try a delivery again, and whether an answer means success, retry or give up."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

MAX_ATTEMPTS = 8
# Waits after attempts 1..7: 10 s, 1 min, 5 min, 30 min, 1 h, 4 h, 16 h (about 21.6 h in all).
BASE_DELAYS_SECONDS = (10, 60, 300, 1800, 3600, 4 * 3600, 16 * 3600)
JITTER = 0.2

Outcome = Literal["delivered", "retry", "failed"]


def classify(response_status: int | None) -> Outcome:
    """2xx delivered; 408, 429, 5xx and no answer at all (timeout, connection error) retry;
    any other status (4xx, or a redirect we do not follow) fails at once."""
    if response_status is None:
        return "retry"
    if 200 <= response_status < 300:
        return "delivered"
    if response_status in (408, 429) or response_status >= 500:
        return "retry"
    return "failed"


def retry_delay(attempt: int, *, scale: float = 1.0, retry_after: float | None = None,
                rng: random.Random | None = None) -> float | None:
    """Seconds to wait after failed attempt number `attempt` (1-based); None when none is left."""
    if attempt >= MAX_ATTEMPTS:
        return None
    base = BASE_DELAYS_SECONDS[attempt - 1] * scale
    delay = base * (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds or as an HTTP date; capped at a day; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), 86400.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), 86400.0)
