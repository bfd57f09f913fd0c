"""Webhooks per the Standard Webhooks spec, signed with the `standardwebhooks` library.

SSRF guard: the URL is checked when the subscription is saved and again at every send, where
the host is resolved once, every address checked, and the connection made to a checked address
(so DNS rebinding cannot slip a private one in between); redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from minilok_shared.events.envelope import CONTENT_TYPE
from standardwebhooks import Webhook

from minilok_notifications.channels import Message, SendResult, http
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.retries import parse_retry_after
from minilok_notifications.domain.targets import InvalidTarget, check_webhook_url, is_blocked_address, literal_ip


class BlockedTarget(InvalidTarget):
    pass


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    return seen


def _blocked_message(ip) -> str:
    return (f"alamat {ip} adalah jaringan privat/lokal dan tidak diizinkan / "
            f"address {ip} is private, loopback or link-local and not allowed")


def check_target_addresses(url: str, allow_private: bool) -> None:
    """At subscription time: refuse a URL whose host is (or resolves to) a forbidden address.
    A name that does not resolve now is accepted; the send-time check decides later."""
    check_webhook_url(url)
    if allow_private:
        return
    parts = urlsplit(url)
    ip = literal_ip(parts.hostname)
    try:
        addresses = [ip] if ip is not None else resolve(parts.hostname, parts.port or 443)
    except OSError:
        return
    for address in addresses:
        if is_blocked_address(address):
            raise BlockedTarget(_blocked_message(address))


def _default_port(parts) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def sign(secrets: list[str], message_id: str, timestamp: datetime, body: str) -> str:
    """Space-separated `v1,<base64>` signatures, one per active key (two during a rotation)."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets)


class WebhookChannel:
    def __init__(self, settings: NotificationsSettings):
        self.settings = settings
        self.client = http.new_client(settings.webhook_timeout_seconds, headers={"user-agent": "Minilok-Webhooks/1.0"})

    def _pinned_request(self, url: str) -> tuple[str, dict[str, str], dict]:
        """The URL to connect to (a checked IP in place of the name), the Host header and the TLS
        server name, so that what we checked is what we reach."""
        parts = urlsplit(url)
        if self.settings.allow_private_targets:
            return url, {}, {}
        host = parts.hostname
        port = _default_port(parts)
        addresses = [literal_ip(host)] if literal_ip(host) is not None else resolve(host, port)
        for address in addresses:
            if is_blocked_address(address):
                raise BlockedTarget(_blocked_message(address))
        address = addresses[0]
        netloc_ip = f"[{address}]" if address.version == 6 else str(address)
        pinned = urlunsplit((parts.scheme, f"{netloc_ip}:{port}", parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        extensions = {"sni_hostname": host} if parts.scheme == "https" and literal_ip(host) is None else {}
        return pinned, {"host": host_header}, extensions

    def send(self, message: Message) -> SendResult:
        try:
            check_webhook_url(message.target)
            url, extra_headers, extensions = self._pinned_request(message.target)
        except BlockedTarget as exc:
            return SendResult(error=str(exc), permanent=True)
        except InvalidTarget as exc:
            return SendResult(error=str(exc), permanent=True)
        except OSError as exc:
            return SendResult(error=f"DNS gagal / DNS lookup failed: {exc}")
        timestamp = datetime.now(UTC)
        headers = {
            "content-type": CONTENT_TYPE,
            "webhook-id": message.message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": sign(message.signing_secrets, message.message_id, timestamp, message.body),
            **extra_headers,
        }
        try:
            response = http.post(self.client, url, deadline_seconds=self.settings.webhook_timeout_seconds,
                                 max_bytes=self.settings.response_max_bytes, content=message.body.encode(),
                                 headers=headers, extensions=extensions)
        except httpx.TimeoutException as exc:
            return SendResult(error=f"waktu habis / timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return SendResult(error=f"koneksi gagal / connection error: {type(exc).__name__}: {exc}")
        error = None
        if response.is_redirect:
            error = "pengalihan tidak diikuti / redirect not followed"
        elif not response.is_success:
            error = f"HTTP {response.status_code}: {response.text[:200]}"
        return SendResult(response_status=response.status_code, error=error,
                          retry_after=parse_retry_after(response.headers.get("retry-after")),
                          # 410 Gone: never retried (attempts.py switches the subscription off).
                          permanent=response.status_code == 410)
