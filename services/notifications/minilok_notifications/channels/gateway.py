"""WhatsApp and SMS through an HTTP gateway (`WHATSAPP_GATEWAY_URL`, `SMS_GATEWAY_URL`) speaking
the JSON API documented in docs/notifications.md; `WHATSAPP_GATEWAY_FORMAT=cloud_api` sends a
WhatsApp Cloud API-shaped payload instead."""

from __future__ import annotations

import httpx

from minilok_notifications.channels import Message, SendResult, http
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.retries import parse_retry_after
from minilok_notifications.channels.messages import render_message, sms_parts


def gateway_payload(message: Message, text: str, channel: str, fmt: str = "minilok") -> dict:
    if channel == "whatsapp" and fmt == "cloud_api":
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.target.lstrip("+"),
                "type": "text", "text": {"preview_url": False, "body": text}}
    payload = {"channel": channel, "to": message.target, "message_id": message.message_id, "text": text,
               "language": message.language, "event_id": message.event.get("id"),
               "event_type": message.event.get("type")}
    if channel == "sms":
        payload["parts"] = sms_parts(text)
    return payload


class GatewayChannel:
    def __init__(self, settings: NotificationsSettings, channel: str):
        self.settings, self.channel = settings, channel
        self.url = settings.whatsapp_gateway_url if channel == "whatsapp" else settings.sms_gateway_url
        self.format = settings.whatsapp_gateway_format
        self.client = http.new_client(settings.webhook_timeout_seconds)

    def send(self, message: Message) -> SendResult:
        if not self.url:
            name = "WHATSAPP_GATEWAY_URL" if self.channel == "whatsapp" else "SMS_GATEWAY_URL"
            return SendResult(error=f"{name} belum diatur / is not configured", permanent=True)
        text = render_message(message, self.settings).short
        headers = {"idempotency-key": message.message_id}
        if self.settings.gateway_token:
            headers["authorization"] = f"Bearer {self.settings.gateway_token}"
        try:
            response = http.post(self.client, self.url, deadline_seconds=self.settings.webhook_timeout_seconds,
                                 max_bytes=self.settings.response_max_bytes,
                                 json=gateway_payload(message, text, self.channel, self.format), headers=headers)
        except httpx.TimeoutException as exc:
            return SendResult(error=f"waktu habis / timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return SendResult(error=f"koneksi gagal / connection error: {type(exc).__name__}: {exc}")
        return SendResult(response_status=response.status_code,
                          error=None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}",
                          retry_after=parse_retry_after(response.headers.get("retry-after")))
