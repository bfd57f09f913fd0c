"""Channels: each a small adapter with one method, `send(message) -> SendResult`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

from minilok_notifications.config import NotificationsSettings


@dataclass(frozen=True)
class Message:
    """One delivery, ready to send: the CloudEvent and where and how it goes."""

    delivery_id: int
    message_id: str  # stable across retries (webhook-id)
    subscription_id: int
    channel: str
    target: str
    language: str
    timezone: str
    body: str  # the CloudEvent JSON as received
    signing_secrets: list[str] = field(default_factory=list)
    # The subscribing agency: a message to the follow-up's owner carries its action link.
    agency_id: int | None = None

    @cached_property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass(frozen=True)
class SendResult:
    """What one attempt got: the response status (HTTP, or SMTP reply code; None when there was no
    answer), an error text, a `Retry-After` in seconds, and whether retrying cannot help
    (`permanent`). `outcome` overrides the HTTP reading of the status (SMTP's 250 is a success)."""

    response_status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    permanent: bool = False
    outcome: Literal["delivered", "retry", "failed"] | None = None
    # Not sent at all (the target is busy): try again after `retry_after`, not counted as an attempt.
    deferred: bool = False
    # The provider's id of the message it accepted (WhatsApp Cloud API `wamid`).
    provider_message_id: str | None = None


class Channel(Protocol):
    def send(self, message: Message) -> SendResult: ...


# Keyed by the settings' id; the entry keeps the settings alive so that id is never reused.
_channels: dict[tuple[str, int], tuple[NotificationsSettings, Channel]] = {}


def get_channel(name: str, settings: NotificationsSettings) -> Channel:
    """One adapter per channel and settings per process (they keep connection pools)."""
    key = (name, id(settings))
    if key not in _channels:
        # Imported here: the adapters import Message and SendResult from this module.
        from minilok_notifications.channels.email import EmailChannel
        from minilok_notifications.channels.gateway import GatewayChannel
        from minilok_notifications.channels.webhook import WebhookChannel

        if name == "webhook":
            channel: Channel = WebhookChannel(settings)
        elif name == "email":
            channel = EmailChannel(settings)
        elif name in ("whatsapp", "sms"):
            channel = GatewayChannel(settings, name)
        else:
            raise ValueError(f"unknown channel {name!r}")
        _channels[key] = (settings, channel)
    return _channels[key][1]
