"""Load shedding: `minilok serve meetings` with MEETINGS_LIMIT_CONCURRENCY answers the request
beyond the limit at once with 503, Retry-After and a JSON detail, keeps /health answering, and
admits requests again as soon as the slow ones finish."""

from __future__ import annotations

import socket
import time

import httpx


def slow_post(port: int) -> socket.socket:
    """A request that stays inside the app: its JSON body is announced but never sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /api/v1/puskesmas HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\nAuthorization: Bearer x\r\n\r\n{")
    return sock


def test_requests_beyond_the_limit_get_503_with_retry_after(system):
    system.start("meetings-api", MEETINGS_LIMIT_CONCURRENCY="2", MINILOK_LOG_FORMAT="console")
    system.procs.wait_http(system.url("meetings", "/health"))
    port = system.ports["meetings"]
    with system.client("meetings") as api:
        assert api.get("/follow-ups").status_code == 200
        slow = [slow_post(port) for _ in range(2)]
        try:
            time.sleep(1)  # the server reads both slow requests' headers
            busy = api.get("/follow-ups")
            assert busy.status_code == 503, system.procs.log("meetings-api")[-3000:]
            assert busy.headers["retry-after"] == "1"
            assert busy.headers["content-type"] == "application/json"
            assert "sibuk" in busy.json()["detail"]
            assert httpx.get(system.url("meetings", "/health")).status_code == 200
            metrics = httpx.get(system.url("meetings", "/metrics")).text
            assert 'minilok_http_requests_shed_total{service="meetings"}' in metrics
        finally:
            for sock in slow:
                sock.close()
        deadline = time.monotonic() + 10
        while (again := api.get("/follow-ups")).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert again.status_code == 200
    log = system.procs.log("meetings-api")
    assert "Traceback" not in log
    # Console lines: time, level, service (MINILOK_LOG_FORMAT=console), not JSON.
    assert any(line[:8].count(":") == 2 and " meetings " in line for line in log.splitlines()), log[-2000:]
