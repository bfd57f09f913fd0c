"""A slow or dead endpoint must not hold up the others. Per target (a webhook's host and port,
the SMTP server, a gateway), shared by every worker through Redis:

- at most `NOTIFICATIONS_TARGET_CONCURRENCY` sends in flight; a send over the limit is put back
  for a moment without counting as an attempt;
- a circuit breaker: after `NOTIFICATIONS_BREAKER_THRESHOLD` failures in a row the target is not
  called for `NOTIFICATIONS_BREAKER_COOLDOWN_SECONDS`; deliveries to it record a "circuit open"
  attempt and retry on their usual schedule, so a dead endpoint costs no timeouts.

If Redis is unreachable the guard steps aside: delivery matters more than throttling.
"""

from __future__ import annotations

import logging
import random
import time
from urllib.parse import urlsplit

import redis

from minilok_notifications.channels import Message, SendResult
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.retries import classify

log = logging.getLogger(__name__)

# Slots are scored by their expiry, so a worker killed mid-send frees its slot by itself.
# One round trip per send: the open-circuit check and the slot are taken in the same script.
# Returns 1 (go), 0 (busy) or minus the milliseconds the circuit stays open.
_ACQUIRE = """
local open_ms = redis.call('PTTL', KEYS[2])
if open_ms > 0 then
  return -open_ms
end
local now, expires, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], expires, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil((expires - now) * 1000))
  return 1
end
return 0
"""


DEFAULT_PORTS = {"http": 80, "https": 443, "smtp": 25, "smtps": 465}


def _host_and_port(url: str) -> str:
    """Only the host and port of a URL: its user, password, path and query (tokens) never reach
    a Redis key or a log line."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname}:{port or DEFAULT_PORTS.get(parts.scheme, 0)}"


def target_key(message: Message, settings: NotificationsSettings) -> str:
    if message.channel == "webhook":
        return f"webhook:{_host_and_port(message.target)}"
    if message.channel == "email":
        return f"smtp:{_host_and_port(settings.smtp_url)}"
    gateway = settings.whatsapp_gateway_url if message.channel == "whatsapp" else settings.sms_gateway_url
    return f"{message.channel}:{_host_and_port(gateway)}"


class TargetGuard:
    def __init__(self, settings: NotificationsSettings):
        self.settings = settings
        self.redis = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
        self.prefix = f"{settings.redis_key_prefix}minilok:notifications:target:"
        self.acquire_script = self.redis.register_script(_ACQUIRE)

    def before_send(self, key: str, token: str) -> SendResult | None:
        """None: go ahead (a slot is held until `after_send`). Otherwise the result to record."""
        try:
            now = time.time()
            expires = now + self.settings.webhook_timeout_seconds * 2 + 30
            taken = self.acquire_script(keys=[self.prefix + key + ":inflight", self.prefix + key + ":open"],
                                        args=[now, expires, self.settings.target_concurrency, token])
            if taken < 0:
                return SendResult(error="sirkuit terbuka: target gagal berulang / circuit open: target keeps failing",
                                  retry_after=-taken / 1000)
            if not taken:
                return SendResult(deferred=True, retry_after=random.uniform(0.5, 1.5),
                                  error="target sibuk / target busy")
        except redis.RedisError as exc:
            log.warning("target guard unavailable (%s); sending unguarded", exc)
        return None

    def after_send(self, key: str, token: str, result: SendResult) -> None:
        try:
            failures_key = self.prefix + key + ":failures"
            outcome = "failed" if result.permanent else result.outcome or classify(result.response_status)
            # The slot and the failure count in one round trip.
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(self.prefix + key + ":inflight", token)
            if outcome != "retry":
                pipe.delete(failures_key)
                pipe.execute()
                return
            pipe.incr(failures_key)
            pipe.expire(failures_key, 86400)
            failures = pipe.execute()[1]
            if failures >= self.settings.breaker_threshold:
                cooldown_ms = int(self.settings.breaker_cooldown_seconds * 1000)
                self.redis.set(self.prefix + key + ":open", "1", px=cooldown_ms)
                log.warning("circuit open for %s after %d failures in a row", key, failures)
        except redis.RedisError as exc:
            log.warning("target guard unavailable (%s)", exc)


# Keyed by the settings' id; the entry keeps the settings alive so that id is never reused.
_guards: dict[int, tuple[NotificationsSettings, TargetGuard]] = {}


def guard_for(settings: NotificationsSettings) -> TargetGuard:
    if id(settings) not in _guards:
        _guards[id(settings)] = (settings, TargetGuard(settings))
    return _guards[id(settings)][1]
