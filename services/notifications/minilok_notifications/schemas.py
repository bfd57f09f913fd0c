"""Request and response bodies. Validation here gives the 422s that name the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from minilok_notifications.domain.matching import EVENT_TYPES, valid_pattern
from minilok_notifications.domain.targets import CHANNELS
from minilok_shared.validation import SingleLine

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


class SubscriptionUpdate(Strict):
    event_types: list[EventPattern] | None = Field(None, min_length=1, max_length=30)
    target: Annotated[SingleLine, Field(min_length=1, max_length=2048)] | None = None
    filters: Filters | None = None
    language: Language | None = None
    digest: Digest | None = None
    quiet_hours: QuietHours | None = None
    timezone: Timezone | None = None
    active: bool | None = None


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


class SubscriptionWithSecret(SubscriptionOut):
    secret: str | None = Field(None, description="Webhook signing secret, shown only on create and rotate-secret")


class Attempt(BaseModel):
    at: datetime
    response_status: int | None
    error: str | None


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
