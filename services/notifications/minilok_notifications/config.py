"""Settings of the notifications service, read from the environment (defaults in the contract)."""

from functools import lru_cache
from typing import ClassVar

from minilok_shared.config import ServiceSettings
from pydantic import Field


class NotificationsSettings(ServiceSettings):
    service_name: ClassVar[str] = "notifications"
    database_url: str = Field("", validation_alias="NOTIFICATIONS_DATABASE_URL")
    host: str = Field("127.0.0.1", validation_alias="NOTIFICATIONS_HOST")
    port: int = Field(8003, validation_alias="NOTIFICATIONS_PORT")
    # Tests and local demos point webhooks at 127.0.0.1; production never should.
    allow_private_targets: bool = Field(
        False, validation_alias="NOTIFICATIONS_ALLOW_PRIVATE_TARGETS")
    smtp_url: str = Field("smtp://127.0.0.1:1025", validation_alias="SMTP_URL")
    smtp_from: str = Field("Minilok <noreply@minilok.local>", validation_alias="SMTP_FROM")
    whatsapp_gateway_url: str = Field("", validation_alias="WHATSAPP_GATEWAY_URL")
    sms_gateway_url: str = Field("", validation_alias="SMS_GATEWAY_URL")
    # "minilok" (docs/notifications.md) or "cloud_api" (WhatsApp Cloud API-shaped body).
    whatsapp_gateway_format: str = Field(
        "minilok", validation_alias="WHATSAPP_GATEWAY_FORMAT")
    gateway_token: str = Field("", validation_alias="NOTIFICATIONS_GATEWAY_TOKEN")
    # WhatsApp Cloud API (docs/whatsapp-templates.md): the bearer token of the sends, the token Meta
    # echoes when the webhook is registered, and the app secret that signs each webhook call.
    whatsapp_access_token: str = Field("", validation_alias="WHATSAPP_ACCESS_TOKEN")
    whatsapp_verify_token: str = Field("", validation_alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_app_secret: str = Field("", validation_alias="WHATSAPP_APP_SECRET")
    # Template names by event type (JSON), over the defaults in channels/whatsapp_cloud.py.
    whatsapp_templates: dict[str, str] = Field(default_factory=dict, validation_alias="WHATSAPP_TEMPLATES")
    sweep_interval_seconds: float = Field(
        5, validation_alias="NOTIFICATIONS_SWEEP_INTERVAL_SECONDS")
    # One overall deadline per webhook or gateway send (connect + send + read; SMTP's socket
    # timeout); a delivery's lease is twice this plus a minute, so no send outlives its lease.
    webhook_timeout_seconds: float = Field(
        15, gt=0, validation_alias="NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS")
    # At most this much of a webhook's or gateway's answer is read (it only explains an error).
    response_max_bytes: int = Field(4096, ge=256, validation_alias="NOTIFICATIONS_RESPONSE_MAX_BYTES")
    # Multiplies the retry schedule (1.0: 8 attempts over about a day); tests shrink it.
    retry_scale: float = Field(1.0, validation_alias="NOTIFICATIONS_RETRY_SCALE")
    # Retries due within this many seconds are queued with a countdown; later ones wait for the sweep.
    retry_countdown_max_seconds: float = Field(
        60, validation_alias="NOTIFICATIONS_RETRY_COUNTDOWN_MAX_SECONDS")
    # Per target (webhook host, SMTP server, gateway), across all workers (Redis).
    target_concurrency: int = Field(
        4, ge=1, validation_alias="NOTIFICATIONS_TARGET_CONCURRENCY")
    # A worker claims up to this many due deliveries in one statement and sends them concurrently
    # on this many threads (per worker process; one keep-alive httpx client among them).
    delivery_batch_size: int = Field(50, ge=1, validation_alias="NOTIFICATIONS_DELIVERY_BATCH_SIZE")
    delivery_concurrency: int = Field(16, ge=1, validation_alias="NOTIFICATIONS_DELIVERY_CONCURRENCY")
    # How long a send of a batch waits for its target's turn before it is put back (not an attempt).
    target_wait_seconds: float = Field(5, ge=0, validation_alias="NOTIFICATIONS_TARGET_WAIT_SECONDS")
    breaker_threshold: int = Field(
        5, ge=1, validation_alias="NOTIFICATIONS_BREAKER_THRESHOLD")
    breaker_cooldown_seconds: float = Field(
        60, validation_alias="NOTIFICATIONS_BREAKER_COOLDOWN_SECONDS")
    # Where links in messages point (the meetings dashboard).
    public_base_url: str = Field("http://127.0.0.1:8001",
                                 validation_alias="MINILOK_PUBLIC_URL")


@lru_cache
def get_settings() -> NotificationsSettings:
    return NotificationsSettings()
