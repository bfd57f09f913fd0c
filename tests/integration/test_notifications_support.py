"""Helpers for the notifications tests (no tests here): the service's app on a test database,
tokens, and a real local webhook receiver that verifies Standard Webhooks signatures and can be
told to fail, answer 429 or time out."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fastapi.testclient import TestClient
from minilok_notifications import config as notifications_config
from minilok_notifications.spec import spec
from minilok_shared.auth import create_token
from minilok_shared.db import upgrade
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

TEST_SECRET = "minilok-test-secret-0123456789abcdef0123456789"


def token(role: str = "admin", **kwargs) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(TEST_SECRET, role, **kwargs)}"}


def notifications_client(monkeypatch, url: str, **env: str) -> TestClient:
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    notifications_config.get_settings.cache_clear()
    upgrade(spec.migrations, url, "notifications")
    from minilok_notifications.app import create_app

    return TestClient(create_app())


def send_test(client: TestClient, subscription_id: int, headers: dict[str, str] | None = None) -> dict:
    """`POST /subscriptions/{id}/test` (202: queued, still pending), then the attempt the worker's
    `deliver` task makes; returns the delivery after it."""
    from minilok_notifications.service_layer.attempts import attempt

    headers = headers or token("admin")
    r = client.post(f"/api/v1/subscriptions/{subscription_id}/test", headers=headers)
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["status"] == "pending" and queued["attempts"] == []
    attempt(client.app.state.sessionmaker, client.app.state.settings, queued["id"])
    return client.get(f"/api/v1/deliveries/{queued['id']}", headers=headers).json()


def followup_event(event_id: str, *, owner: int = 10, supporters=(11,), puskesmas: int = 1, type="followup.created",
                   escalated=None) -> dict:
    data = {"followup": {"id": 7, "meeting_id": 3, "puskesmas_id": puskesmas, "title": "Pemberantasan sarang nyamuk",
                         "action": "PSN serentak", "owner_agency_id": owner, "supporting_agency_ids": list(supporters),
                         "due_at": "2026-02-20T16:59:59+00:00", "status": "open", "escalation_level": 0,
                         "area_code": "21.71.06", "indicator_code": None}}
    if escalated is not None:
        data["escalated_to_agency_ids"] = escalated
    return {"specversion": "1.0", "id": event_id, "source": "/meetings", "type": type, "subject": "7",
            "time": "2026-02-10T03:00:00Z", "datacontenttype": "application/json", "puskesmasid": str(puskesmas),
            "ownerid": str(owner), "data": data}


class Receiver:
    """A threaded HTTP server on 127.0.0.1. `script` holds what to answer next, one entry per
    request: an int status, ("status", code, headers) or ("sleep", seconds); then 200."""

    def __init__(self):
        self.secrets: list[str] = []
        self.script: deque = deque()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = False
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified = True
                    except WebhookVerificationError:
                        pass
                with receiver.lock:
                    action = receiver.script.popleft() if receiver.script else 200
                    receiver.requests.append({"headers": headers, "body": body, "verified": verified,
                                              "answer": action, "path": self.path})
                extra = {}
                if isinstance(action, tuple) and action[0] == "sleep":
                    time.sleep(action[1])
                    code = 200
                elif isinstance(action, tuple):
                    code, extra = action[1], action[2]
                else:
                    code = action
                self.send_response(code)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if r["verified"] and r["answer"] == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class NastyServer:
    """A raw HTTP server on 127.0.0.1 that answers badly on purpose, to every request: `huge` (a
    200 MB body), `trickle_head` (the status line and headers one byte a second) or
    `trickle_body` (headers at once, then one body byte every half second, for ever)."""

    HUGE = 200 * 2**20

    def __init__(self, mode: str, status: int = 200):
        self.mode, self.status = mode, status
        self.requests, self.sent = 0, 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _read_request(self, conn) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
        while length and len(body) < int(length.group(1)):
            body += conn.recv(65536)
        return True

    def _answer(self, conn) -> None:
        with conn:
            conn.settimeout(10)
            try:
                if not self._read_request(conn):
                    return
                with self.lock:
                    self.requests += 1
                if self.mode == "huge":
                    conn.sendall(f"HTTP/1.1 {self.status} X\r\ncontent-length: {self.HUGE}\r\n\r\n".encode())
                    chunk = b"x" * 65536
                    while self.sent < self.HUGE and not self.stopping.is_set():
                        conn.sendall(chunk)
                        self.sent += len(chunk)
                elif self.mode == "trickle_head":
                    for byte in f"HTTP/1.1 {self.status} X\r\ncontent-length: 0\r\n\r\n".encode():
                        conn.sendall(bytes([byte]))
                        if self.stopping.wait(1):
                            return
                else:
                    conn.sendall(f"HTTP/1.1 {self.status} X\r\ncontent-length: 1000000\r\n\r\n".encode())
                    while not self.stopping.wait(0.5):
                        conn.sendall(b"x")
            except OSError:  # the client hung up: what it should do
                pass

    def close(self) -> None:
        self.stopping.set()
        self.sock.close()
