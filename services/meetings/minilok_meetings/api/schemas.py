"""Request and response bodies. Validation here gives the 422s that name the field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from minilok_meetings.domain.calendar import TIMEZONES
from minilok_shared.validation import Day, Instant, MultiLine, SingleLine

Timezone = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
assert set(Timezone.__args__) == set(TIMEZONES)

AGENCY_KINDS = (
    "puskesmas", "kecamatan", "kelurahan", "desa", "pkk", "lpm", "rt", "rw", "posyandu", "kader", "babinsa",
    "bhabinkamtibmas", "koramil", "polsek", "sekolah", "dinas_kesehatan", "dinas_sosial", "dinas_pp", "bpjs",
    "tokoh_masyarakat", "csr", "other",
)
AgencyKind = Literal[
    "puskesmas", "kecamatan", "kelurahan", "desa", "pkk", "lpm", "rt", "rw", "posyandu", "kader", "babinsa",
    "bhabinkamtibmas", "koramil", "polsek", "sekolah", "dinas_kesehatan", "dinas_sosial", "dinas_pp", "bpjs",
    "tokoh_masyarakat", "csr", "other",
]
MeetingKind = Literal["monthly_internal", "quarterly_cross_sector", "other"]
Priority = Literal["low", "normal", "high"]

Text = Annotated[SingleLine, Field(min_length=1, max_length=300)]
# Lengths of the columns they are stored in (a longer value would be a database error, not a 422).
Name = Annotated[SingleLine, Field(min_length=1, max_length=200)]
Label = Annotated[SingleLine, Field(min_length=1, max_length=120)]
LongText = Annotated[MultiLine, Field(max_length=10_000)]
Code = Annotated[SingleLine, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")]


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"nomor telepon tidak valid / invalid phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("nomor telepon tidak valid / invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[SingleLine, Field(max_length=32), AfterValidator(_e164)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PuskesmasCreate(Strict):
    code: Annotated[Code, Field(max_length=32)]
    name: Name
    timezone: Timezone
    area_code: Code
    kota: Label
    provinsi: Label
    head_name: Name | None = None
    extra_holidays: list[Day] = Field(default_factory=list, max_length=366)


class PuskesmasPatch(Strict):
    name: Name | None = None
    head_name: Name | None = None
    extra_holidays: list[Day] | None = Field(None, max_length=366)


class PuskesmasOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    timezone: str
    area_code: str
    kota: str
    provinsi: str
    head_name: str | None
    extra_holidays: list[date]
    created_at: datetime


class ContactIn(Strict):
    name: Name
    role: Label | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str | None
    email: str | None
    phone: str | None


class AgencyCreate(Strict):
    name: Name
    kind: AgencyKind
    parent_id: int | None = None
    puskesmas_id: int | None = None
    area_code: Code | None = None
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class AgencyPatch(Strict):
    name: Name | None = None
    parent_id: int | None = None
    area_code: Code | None = None
    contacts: list[ContactIn] | None = Field(None, max_length=50)


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: str
    parent_id: int | None
    puskesmas_id: int | None
    area_code: str | None
    contacts: list[ContactOut]
    created_at: datetime


class MeetingCreate(Strict):
    puskesmas_id: int
    kind: MeetingKind
    title: Text
    scheduled_at: Instant
    location: Text | None = None


class MeetingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    puskesmas_id: int
    kind: str
    title: str
    scheduled_at: datetime
    location: str | None
    status: str
    summary: str | None
    decisions: list
    published_at: datetime | None
    created_at: datetime


DUE_FIELDS = ("due_date", "due_at", "due_in_working_days")


class FollowUpCreate(Strict):
    title: Text
    action: LongText | None = None
    problem: LongText | None = None
    owner_agency_id: int
    supporting_agency_ids: list[int] = Field(default_factory=list, max_length=50)
    due_date: Day | None = None
    due_at: Instant | None = None
    due_in_working_days: int | None = Field(None, ge=0, le=365)
    area_code: Code | None = None
    indicator_code: Code | None = None
    priority: Priority = "normal"

    @model_validator(mode="after")
    def exactly_one_due(self):
        given = [name for name in DUE_FIELDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "isi tepat satu dari due_date, due_at, due_in_working_days / "
                f"exactly one of due_date, due_at, due_in_working_days is required (given: {', '.join(given) or 'none'})"
            )
        return self


class FollowUpOut(BaseModel):
    id: int
    meeting_id: int
    puskesmas_id: int
    title: str
    action: str | None
    problem: str | None
    owner_agency_id: int
    supporting_agency_ids: list[int]
    due_at: datetime
    status: str
    is_overdue: bool
    escalation_level: int
    percent: int
    priority: str
    area_code: str | None
    indicator_code: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


HttpUrl = Annotated[SingleLine, Field(max_length=2000, pattern=r"^https?://[^\s]+$")]


class ProgressIn(Strict):
    note: Annotated[MultiLine, Field(min_length=1, max_length=5000)]
    percent: int | None = Field(None, ge=0, le=100)
    evidence_url: HttpUrl | None = None


class CompleteIn(Strict):
    note: Annotated[MultiLine, Field(min_length=1, max_length=5000)]
    evidence_url: HttpUrl | None = None


class ReasonIn(Strict):
    reason: Annotated[SingleLine, Field(min_length=1, max_length=2000)]


class FollowUpPatch(Strict):
    due_at: Instant | None = None
    due_date: Day | None = None
    owner_agency_id: int | None = None
    priority: Priority | None = None
    title: Text | None = None

    @model_validator(mode="after")
    def one_due_at_most(self):
        if self.due_at is not None and self.due_date is not None:
            raise ValueError("isi salah satu dari due_at atau due_date / give due_at or due_date, not both")
        return self


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    kind: str
    data: dict
