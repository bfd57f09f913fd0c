"""WhatsApp and SMS through an HTTP gateway (`WHATSAPP_GATEWAY_URL`, `SMS_GATEWAY_URL`) speaking
the JSON API documented in docs/notifications.md; `WHATSAPP_GATEWAY_FORMAT=cloud_api` sends WhatsApp
Cloud API template messages instead (channels/whatsapp_cloud.py, docs/whatsapp-templates.md)."""

from __future__ import annotations

import json

import httpx

from minilok_notifications.channels import Message, SendResult, http, whatsapp_cloud
from minilok_notifications.channels.messages import render_message, sms_parts
from minilok_notifications.config import NotificationsSettings
from minilok_notifications.domain.retries import parse_retry_after


def gateway_payload(message: Message, text: str, channel: str) -> dict:
    """The generic gateway's body (docs/notifications.md)."""
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
        self.cloud_api = channel == "whatsapp" and settings.whatsapp_gateway_format == "cloud_api"
        self.client = http.new_client(settings.webhook_timeout_seconds)

    def send(self, message: Message) -> SendResult:
        if not self.url:
            name = "WHATSAPP_GATEWAY_URL" if self.channel == "whatsapp" else "SMS_GATEWAY_URL"
            return SendResult(error=f"{name} belum diatur / is not configured", permanent=True)
        text = render_message(message, self.settings).short
        headers = {"idempotency-key": message.message_id}
        token = self.settings.whatsapp_access_token if self.cloud_api else self.settings.gateway_token
        if token:
            headers["authorization"] = f"Bearer {token}"
        body = whatsapp_cloud.template_payload(message, self.settings, text) if self.cloud_api \
            else gateway_payload(message, text, self.channel)
        try:
            response = http.post(self.client, self.url, deadline_seconds=self.settings.webhook_timeout_seconds,
                                 max_bytes=self.settings.response_max_bytes, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            return SendResult(error=f"waktu habis / timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return SendResult(error=f"koneksi gagal / connection error: {type(exc).__name__}: {exc}")
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if self.cloud_api:
            return cloud_api_result(response, retry_after)
        return SendResult(response_status=response.status_code,
                          error=None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}",
                          retry_after=retry_after)


def cloud_api_result(response: http.Answer, retry_after: float | None) -> SendResult:
    """The wamid of an accepted message; Meta's error code in words, retried only when it means "later"."""
    try:
        answer = json.loads(response.body)
    except ValueError:
        answer = None
    wamid, error, retryable = whatsapp_cloud.read_answer(response.status_code, answer)
    if response.is_success:
        return SendResult(response_status=response.status_code, provider_message_id=wamid)
    return SendResult(response_status=response.status_code,
                      error=error or f"HTTP {response.status_code}: {response.text[:200]}",
                      retry_after=retry_after, outcome="retry" if retryable else None)
