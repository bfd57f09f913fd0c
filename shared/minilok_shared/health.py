"""Health endpoints for the processes that serve no HTTP API: outbox relays, event consumers,
Celery workers and beat (the APIs have their own, in `web.py`, built from the same checks).

- `GET /health`: 200 while the process's main loop makes progress. The loop calls
  `Heartbeat.beat()`; the HTTP thread only reads the timestamp, so it never touches the loop's
  connections (a pika BlockingConnection is not thread-safe). 503 once the last beat is older
  than the threshold (`MINILOK_HEALTH_STALE_SECONDS`): the loop is hung.
- `GET /ready`: 200 when the process's broker and database are reachable; otherwise 503 naming
  what is down, in the same JSON shape as the APIs' `/ready`.
- `GET /metrics`: Prometheus text of this process.

Served by a stdlib `ThreadingHTTPServer` on a daemon thread, only when a port is configured
(`MINILOK_HEALTH_PORT` or `--health-port`); off by default.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

Check = Callable[[], str]  # returns "ok" or "error: <what>"


class Heartbeat:
    """When a main loop last made progress. One float, written by the loop and read by the health
    thread (a single attribute assignment is atomic in CPython: no lock needed)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._last = clock()  # starting counts as progress

    def beat(self) -> None:
        self._last = self._clock()

    def age(self) -> float:
        return max(0.0, self._clock() - self._last)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """`event.wait(seconds)`, beating at least every second: a loop that waits on purpose
        (a reconnection back-off) is alive. Returns whether the event was set."""
        deadline = self._clock() + seconds
        while True:
            self.beat()
            left = deadline - self._clock()
            if left <= 0:
                return event.is_set()
            if event.wait(min(left, 1.0)):
                self.beat()
                return True


def _error(exc: BaseException) -> str:
    return f"error: {type(exc).__name__}"


def check_database(engine) -> str:
    from sqlalchemy import text

    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return _error(exc)


def check_redis(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except Exception as exc:
        return _error(exc)


def check_rabbitmq(url: str) -> str:
    """A fresh connection, opened and closed (never the caller's own connection)."""
    import pika

    try:
        params = pika.URLParameters(url)
        params.socket_timeout = 1
        params.blocked_connection_timeout = 1
        params.connection_attempts = 1
        pika.BlockingConnection(params).close()
        return "ok"
    except Exception as exc:
        return _error(exc)


def run_checks(checks: dict[str, Check]) -> dict[str, str]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check must never break the probe
            results[name] = _error(exc)
    return results


def readiness(service: str, results: dict[str, str], **extra: Any) -> tuple[int, dict[str, Any]]:
    """The `/ready` answer of every Minilok process: 200, or 503 naming what is failing."""
    failing = [name for name, result in results.items() if result != "ok"]
    body = {"status": "ok" if not failing else "unavailable", "service": service, "checks": results,
            "failing": failing, **extra}
    return (200 if not failing else 503), body


@dataclass
class Probe:
    """What a process's /health and /ready answer."""

    service: str
    process: str  # relay, consumer, worker, beat
    heartbeat: Heartbeat
    stale_after: float
    checks: dict[str, Check] = field(default_factory=dict)

    def health(self) -> tuple[int, dict[str, Any]]:
        age = self.heartbeat.age()
        alive = age <= self.stale_after
        return (200 if alive else 503), {
            "status": "ok" if alive else "stale", "service": self.service, "process": self.process,
            "heartbeat_age_seconds": round(age, 3), "stale_after_seconds": self.stale_after}

    def ready(self) -> tuple[int, dict[str, Any]]:
        return readiness(self.service, run_checks(self.checks), process=self.process)


class _Handler(BaseHTTPRequestHandler):
    server_version = "minilok-health"
    timeout = 10  # a client that sends nothing does not hold a thread for ever

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        probe: Probe = self.server.probe  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._json(*probe.health())
        elif path == "/ready":
            self._json(*probe.ready())
        elif path == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

            self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
        else:
            self._json(404, {"detail": "not found: GET /health, /ready or /metrics"})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds: not logged
        pass


class HealthServer:
    """`GET /health`, `/ready` and `/metrics` of `probe`, on a daemon thread."""

    def __init__(self, probe: Probe, host: str, port: int):
        self.probe = probe
        self._server = ThreadingHTTPServer((host, port), _Handler)  # binds now: OSError if taken
        self._server.daemon_threads = True
        self._server.probe = probe  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="minilok-health", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> HealthServer:
        self._thread.start()
        host, port = self.address
        log.info("health endpoints on http://%s:%d (/health, /ready, /metrics)", host, port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
