"""Request and response bodies. Validation here gives the 422s that name the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from minilok_shared.validation import Instant, SingleLine
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from minilok_notifications.domain.matching import EVENT_TYPES, valid_pattern
from minilok_notifications.domain.targets import CHANNELS

Channel = Literal["webhook", "email", "whatsapp", "sms"]
assert set(Channel.__args__) == set(CHANNELS)
Language = Literal["id", "en"]
Digest = Literal["immediate", "daily"]
Timezone = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
DeliveryStatus = Literal["pending", "held", "delivered", "failed"]
Code = Annotated[SingleLine, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")]
Clock = Annotated[SingleLine, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["21:00"])]


def _event_pattern(value: str) -> str:
    if not valid_pattern(value):
        raise ValueError(
            f"jenis event tidak dikenal / unknown event type or pattern {value!r} "
            f"(known: {', '.join(t for t in EVENT_TYPES if t != 'notification.test')}; patterns like 'followup.*')"
        )
    return value


EventPattern = Annotated[SingleLine, Field(min_length=1, max_length=100), AfterValidator(_event_pattern)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Filters(Strict):
    puskesmas_id: int | None = None
    owner_agency_id: int | None = None
    area_code: Code | None = None


class QuietHours(Strict):
    start: Clock
    end: Clock


class Fallback(Strict):
    """Where a delivery that fails for good on the subscription's own channel goes once more."""

    channel: Literal["sms", "email", "whatsapp"]
    target: Annotated[SingleLine, Field(min_length=1, max_length=2048)]


class SubscriptionCreate(Strict):
    agency_id: int | None = Field(None, description="Required, except that an agency token defaults to its own")
    event_types: list[EventPattern] = Field(min_length=1, max_length=30)
    channel: Channel
    target: Annotated[SingleLine, Field(min_length=1, max_length=2048)]
    filters: Filters = Field(default_factory=Filters)
    language: Language = "id"
    digest: Digest = "immediate"
    quiet_hours: QuietHours | None = None
    timezone: Timezone = Field("Asia/Jakarta", description="Where quiet hours and the 07:00 digest are counted")
    fallback: Fallback | None = Field(None, description="Another channel (not webhook, not this one) tried once "
                                                        "when a delivery fails for good")


class SubscriptionUpdate(Strict):
    event_types: list[EventPattern] | None = Field(None, min_length=1, max_length=30)
    target: Annotated[SingleLine, Field(min_length=1, max_length=2048)] | None = None
    filters: Filters | None = None
    language: Language | None = None
    digest: Digest | None = None
    quiet_hours: QuietHours | None = None
    timezone: Timezone | None = None
    active: bool | None = None
    fallback: Fallback | None = Field(None, description="null removes it")


class Recover(Strict):
    since: Instant = Field(description="Failed deliveries made since then are sent again (at most 30 days back)")


class Recovered(BaseModel):
    queued: int


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    agency_id: int
    scope: Literal["agency", "puskesmas"]
    event_types: list[str]
    channel: str
    target: str
    filters: dict[str, Any]
    language: str
    digest: str
    quiet_hours: dict[str, Any] | None
    timezone: str
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None = None
    failing_since: datetime | None = None
    disabled_reason: str | None = None
    fallback: Fallback | None = None

    @model_validator(mode="before")
    @classmethod
    def _fallback_of_row(cls, data: Any) -> Any:
        """A subscription row keeps its fallback in two columns; the API shows one object."""
        if isinstance(data, dict) or not hasattr(data, "fallback_channel"):
            return data
        shown = {name: getattr(data, name) for name in cls.model_fields if hasattr(data, name)}
        if data.fallback_channel:
            shown["fallback"] = {"channel": data.fallback_channel, "target": data.fallback_target}
        return shown


class SubscriptionWithSecret(SubscriptionOut):
    secret: str | None = Field(None, description="Webhook signing secret, shown only on create and rotate-secret")


class Attempt(BaseModel):
    at: datetime
    response_status: int | None
    error: str | None
    # Set on the entry that moved a delivery to its subscription's fallback: the channel it moved to.
    fallback: str | None = None
    # A WhatsApp Cloud API status callback about the sent message: sent, delivered, read or failed.
    status: str | None = None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    subscription_id: int
    event_id: str
    event_type: str
    channel: str
    status: DeliveryStatus
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    attempt_count: int
    last_response_status: int | None
    last_error: str | None
    message_id: str
    created_at: datetime
    delivered_at: datetime | None
    fallback_used: bool = False
