"""Real local servers that play the outside world in tests: a webhook receiver that verifies
Standard Webhooks signatures and can be told to fail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.responses: list[int | str] = []  # scripted answers: a status code or "timeout"
        self.secret: str | None = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    answer = receiver.responses.pop(0) if receiver.responses else 204
                    verified = None
                    if receiver.secret:
                        try:
                            Webhook(receiver.secret).verify(body, headers)
                            verified = True
                        except Exception:
                            verified = False
                    receiver.requests.append({"headers": headers, "body": json.loads(body), "raw": body,
                                              "verified": verified, "answered": answer, "at": time.time()})
                if answer == "timeout":
                    time.sleep(30)
                    return
                self.send_response(int(answer))
                self.end_headers()

            def log_message(self, *_args):
                pass

        return Handler

    def delivered(self) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if isinstance(r["answered"], int) and 200 <= r["answered"] < 300]

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
