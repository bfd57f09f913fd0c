"""Outbound HTTP of the webhook and gateway channels: one overall deadline for connect, send and
read, and at most a few KB of any answer read, so a slow or huge answer costs neither memory nor
a second send (the deadline is far shorter than the delivery lease)."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass

import httpcore
import httpx

# When the send in progress on this thread must be over (time.monotonic()); None outside one.
_deadline: ContextVar[float | None] = ContextVar("outbound_deadline", default=None)


def _within_deadline(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("batas waktu habis / deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Each socket operation may wait only until the deadline: httpx's own timeouts are per
    operation, so a server sending one byte a second would never trip them."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                      _within_deadline(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self):
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_tcp(
            host, port, _within_deadline(timeout, httpcore.ConnectTimeout), local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(
            path, _within_deadline(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    def __init__(self):
        super().__init__(trust_env=False)
        # httpx takes no network backend of its own: the same pool, around ours.
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             network_backend=_DeadlineBackend())


def new_client(timeout_seconds: float, **kwargs) -> httpx.Client:
    """A client for `post`: no redirects, no proxy from the environment."""
    return httpx.Client(transport=_DeadlineTransport(), timeout=timeout_seconds, follow_redirects=False,
                        trust_env=False, **kwargs)


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: httpx.Headers
    body: bytes  # the start of the body, at most the limit given to `post`

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status_code < 400 and "location" in self.headers


def post(client: httpx.Client, url: str, *, deadline_seconds: float, max_bytes: int, **kwargs) -> Answer:
    """POST, and read the answer's status, headers and at most `max_bytes` of its body (not
    decompressed), all within `deadline_seconds` from now. Raises httpx.TimeoutException when the
    status has not arrived by then; a body still arriving is cut off (the status is the answer)."""
    token = _deadline.set(time.monotonic() + deadline_seconds)
    try:
        headers = {"accept-encoding": "identity", **kwargs.pop("headers", {})}
        with client.stream("POST", url, headers=headers, **kwargs) as response:
            body = bytearray()
            try:
                for chunk in response.iter_raw():
                    body += chunk
                    if len(body) >= max_bytes:
                        break
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError):
                pass
            # Leaving the block unread closes the connection: the rest is never read.
            return Answer(response.status_code, response.headers, bytes(body[:max_bytes]))
    finally:
        _deadline.reset(token)
