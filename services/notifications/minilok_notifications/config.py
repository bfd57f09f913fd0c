from functools import lru_cache

from minilok_shared.config import ServiceSettings
from pydantic import AliasChoices, Field


def _env(name: str, field: str) -> AliasChoices:
    return AliasChoices(name, field)


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    database_url: str = Field("", validation_alias=_env("NOTIFICATIONS_DATABASE_URL", "database_url"))
    host: str = Field("127.0.0.1", validation_alias=_env("NOTIFICATIONS_HOST", "host"))
    port: int = Field(8003, validation_alias=_env("NOTIFICATIONS_PORT", "port"))
    # Tests and local demos point webhooks at 127.0.0.1; production never should.
    allow_private_targets: bool = Field(
        False, validation_alias=_env("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "allow_private_targets"))
    smtp_url: str = Field("smtp://127.0.0.1:1025", validation_alias=_env("SMTP_URL", "smtp_url"))
    smtp_from: str = Field("Minilok <noreply@minilok.local>", validation_alias=_env("SMTP_FROM", "smtp_from"))
    whatsapp_gateway_url: str = Field("", validation_alias=_env("WHATSAPP_GATEWAY_URL", "whatsapp_gateway_url"))
    sms_gateway_url: str = Field("", validation_alias=_env("SMS_GATEWAY_URL", "sms_gateway_url"))
    # "minilok" (docs/notifications.md) or "cloud_api" (WhatsApp Cloud API-shaped body).
    whatsapp_gateway_format: str = Field(
        "minilok", validation_alias=_env("WHATSAPP_GATEWAY_FORMAT", "whatsapp_gateway_format"))
    gateway_token: str = Field("", validation_alias=_env("NOTIFICATIONS_GATEWAY_TOKEN", "gateway_token"))
    sweep_interval_seconds: float = Field(
        5, validation_alias=_env("NOTIFICATIONS_SWEEP_INTERVAL_SECONDS", "sweep_interval_seconds"))
    webhook_timeout_seconds: float = Field(
        10, validation_alias=_env("NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS", "webhook_timeout_seconds"))
    # Multiplies the retry schedule (1.0: 8 attempts over about a day); tests shrink it.
    retry_scale: float = Field(1.0, validation_alias=_env("NOTIFICATIONS_RETRY_SCALE", "retry_scale"))
    # Retries due within this many seconds are queued with a countdown; later ones wait for the sweep.
    retry_countdown_max_seconds: float = Field(
        60, validation_alias=_env("NOTIFICATIONS_RETRY_COUNTDOWN_MAX_SECONDS", "retry_countdown_max_seconds"))
    # Per target (webhook host, SMTP server, gateway), across all workers (Redis).
    target_concurrency: int = Field(
        4, ge=1, validation_alias=_env("NOTIFICATIONS_TARGET_CONCURRENCY", "target_concurrency"))
    breaker_threshold: int = Field(
        5, ge=1, validation_alias=_env("NOTIFICATIONS_BREAKER_THRESHOLD", "breaker_threshold"))
    breaker_cooldown_seconds: float = Field(
        60, validation_alias=_env("NOTIFICATIONS_BREAKER_COOLDOWN_SECONDS", "breaker_cooldown_seconds"))
    # Where links in messages point (the meetings dashboard).
    public_base_url: str = Field("http://127.0.0.1:8001",
                                 validation_alias=_env("MINILOK_PUBLIC_URL", "public_base_url"))


@lru_cache
def get_settings() -> NotificationsSettings:
    return NotificationsSettings()
