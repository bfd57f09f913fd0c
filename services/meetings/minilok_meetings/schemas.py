"""Request and response bodies. Validation here gives the 422s that name the field."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Annotated, Literal

import phonenumbers
from minilok_shared.validation import Day, Instant, MultiLine, SingleLine
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from minilok_meetings.domain.calendar import TIMEZONES
from minilok_meetings.domain.escalation import NOTIFY_PATTERN

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
# Sumber dana of an RTL row (labels.FUNDING_SOURCES has the words).
FundingSource = Literal["BOK", "APBD", "APBN", "dana_desa", "CSR", "swadaya", "other"]
FUNDING_SOURCE_CODES = FundingSource.__args__

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
    can_sign_in: bool = Field(True, description="May request a sign-in code with its phone or email (boleh masuk)")


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str | None
    email: str | None
    phone: str | None
    can_sign_in: bool = True


class AgencyCreate(Strict):
    name: Name
    kind: AgencyKind
    parent_id: int | None = None
    puskesmas_id: int | None = None
    area_code: Code | None = None
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class AgencyPatch(Strict):
    name: Name | None = None
    kind: AgencyKind | None = None
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


# An undangan goes to a few dozen agencies at most; the cap keeps one request bounded.
InvitedIds = Annotated[list[int], Field(max_length=500)]


class MeetingCreate(Strict):
    puskesmas_id: int
    kind: MeetingKind
    title: Text
    scheduled_at: Instant
    location: Text | None = None
    invited_agency_ids: InvitedIds = Field(
        default_factory=list, description="Agencies of this puskesmas (or shared ones) invited: they hear meeting.*")


class MeetingPatch(Strict):
    title: Text | None = None
    scheduled_at: Instant | None = None
    location: Text | None = Field(None, description="null clears the place")


class MeetingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    puskesmas_id: int
    kind: str
    title: str
    scheduled_at: datetime
    location: str | None
    status: str  # scheduled | published | cancelled
    summary: str | None
    decisions: list
    published_at: datetime | None
    created_at: datetime
    sequence: int = Field(0, description="Raised on each change invitees hear (the iCalendar SEQUENCE)")
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


class AgencyRef(BaseModel):
    id: int
    name: str | None


class MeetingInvited(MeetingOut):
    """A meeting with the agencies invited to it."""

    invited_agency_ids: list[int]
    invited_agencies: list[AgencyRef]


DUE_FIELDS = ("due_date", "due_at", "due_in_working_days")
# The RTL matrix's columns (Permenkes 44/2016), in the matrix's order after kegiatan.
RTL_FIELDS = ("objective", "target_group", "location", "success_indicator", "cost_estimate", "funding_source")
Rupiah = Annotated[int, Field(ge=0, le=10**15, description="Biaya in whole rupiah")]


class RtlFields(Strict):
    """Tujuan, sasaran, lokasi, indikator keberhasilan, biaya (rupiah) and sumber dana; all optional."""

    objective: LongText | None = Field(None, description="Tujuan")
    target_group: Text | None = Field(None, description="Sasaran")
    location: Text | None = Field(None, description="Lokasi")
    success_indicator: LongText | None = Field(None, description="Indikator keberhasilan")
    cost_estimate: Rupiah | None = Field(None, description="Biaya in whole rupiah")
    funding_source: FundingSource | None = Field(None, description="Sumber dana")


class FollowUpCreate(RtlFields):
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
                "exactly one of due_date, due_at, due_in_working_days is required "
                f"(given: {', '.join(given) or 'none'})"
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
    objective: str | None = None
    target_group: str | None = None
    location: str | None = None
    success_indicator: str | None = None
    cost_estimate: int | None = None
    funding_source: str | None = None
    # Escalation that listens: when the owner acknowledged, until when progress holds escalation
    # back, and when the next reminder or escalation step is due (None: nothing more will fire).
    acknowledged_at: datetime | None = None
    paused_until: datetime | None = None
    next_reminder_at: datetime | None = None


HttpUrl = Annotated[SingleLine, Field(max_length=2000, pattern=r"^https?://[^\s]+$")]


Note = Annotated[MultiLine, Field(min_length=1, max_length=5000)]
# Evidence uploaded first (POST .../evidence), then linked by id to a progress note or completion.
EvidenceIds = Annotated[list[int], Field(default_factory=list, max_length=20)]


class ProgressIn(Strict):
    note: Note
    percent: int | None = Field(None, ge=0, le=100)
    evidence_url: HttpUrl | None = None
    evidence_ids: EvidenceIds


class CompleteIn(Strict):
    note: Note
    evidence_url: HttpUrl | None = None
    evidence_ids: EvidenceIds


class NoteIn(Strict):
    """A note on a follow-up by anyone it concerns (an agency escalated to: "sudah kami tegur")."""
    note: Note


class AcknowledgeIn(Strict):
    note: Annotated[MultiLine, Field(max_length=5000)] | None = None


class ExtensionRequestIn(Strict):
    due_date: Day = Field(description="The new due date asked for (YYYY-MM-DD, the puskesmas's timezone)")
    reason: Annotated[MultiLine, Field(min_length=1, max_length=2000)]


class ExtensionDecisionIn(Strict):
    reason: Annotated[MultiLine, Field(max_length=2000)] | None = None


class ExtensionRequestOut(BaseModel):
    id: int
    followup_id: int
    puskesmas_id: int
    due_date: date
    reason: str
    status: Literal["pending", "approved", "refused"]
    requested_by: str
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None


class EvidenceOut(BaseModel):
    id: int
    followup_id: int
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    url: str
    thumbnail_url: str | None = None
    created_by: str
    created_at: datetime


class SignInCodeIn(Strict):
    """Exactly one of `phone` (as people write it: 0812..., +62 812..., 62812...) or `email`."""
    phone: Phone | None = None
    email: EmailStr | None = None

    @model_validator(mode="after")
    def one_contact(self):
        if (self.phone is None) == (self.email is None):
            raise ValueError("isi salah satu: phone atau email / give exactly one of phone or email")
        return self


class SignInVerifyIn(SignInCodeIn):
    code: Annotated[SingleLine, Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")]


class SignInOut(BaseModel):
    token: str
    expires_at: datetime
    role: Literal["puskesmas", "agency", "dinas"]
    puskesmas_id: int | None = None
    agency_id: int | None = None
    area_code: str | None = None


ACTIONS = ("acknowledge", "progress", "complete", "extend", "evidence")


class ActionLinkOut(BaseModel):
    """What an action link opens: the follow-up, what its owner may do now (nothing once it is done
    or cancelled), until when the link works, and what the phone page shows: names and history."""
    followup: FollowUpOut
    allowed: list[Literal["acknowledge", "progress", "complete", "extend", "evidence"]]
    expires_at: datetime
    puskesmas_name: str | None = None
    owner_agency_name: str | None = None
    meeting_title: str | None = None
    timezone: str | None = None
    history: list[HistoryOut] = Field(default_factory=list)
    # Names of the agencies that the history mentions (its actors, those escalated to), by id.
    agency_names: dict[int, str] = Field(default_factory=dict)


class ReasonIn(Strict):
    reason: Annotated[SingleLine, Field(min_length=1, max_length=2000)]


class FollowUpPatch(RtlFields):
    """Changes to a follow-up; for the RTL columns null clears (they are optional), absent keeps."""

    due_at: Instant | None = None
    due_date: Day | None = None
    owner_agency_id: int | None = None
    priority: Priority | None = None
    title: Text | None = None
    # The meeting page edits a row whole: its action text and its supporting agencies too.
    action: LongText | None = None
    supporting_agency_ids: list[int] | None = Field(None, max_length=50)

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


# --- agenda, daftar hadir, notulen and proposals ---------------------------------------------

ProposalStatus = Literal["proposed", "accepted", "dismissed"]
PROPOSAL_STATUSES = ProposalStatus.__args__


class AgendaItemCreate(Strict):
    title: Text
    presenter_agency_id: int | None = None
    indicator_code: Code | None = None
    notes: LongText | None = None


class AgendaItemPatch(Strict):
    """Changes to an agenda item before the minutes are published; null clears presenter, indicator or notes."""
    title: Text | None = None
    presenter_agency_id: int | None = None
    indicator_code: Code | None = None
    notes: LongText | None = None


class AgendaItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    meeting_id: int
    position: int
    title: str
    presenter_agency_id: int | None
    indicator_code: str | None
    notes: str | None
    proposal_id: int | None
    created_at: datetime


class AttendanceIn(Strict):
    agency_id: int
    person_name: Annotated[SingleLine, Field(min_length=1, max_length=200)]
    role: Annotated[SingleLine, Field(min_length=1, max_length=120)] | None = None
    present: bool = True


class AttendanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    agency_id: int
    person_name: str
    role: str | None
    present: bool


Decision = Annotated[MultiLine, Field(min_length=1, max_length=2000)]


class MinutesIn(Strict):
    summary: Annotated[MultiLine, Field(min_length=1, max_length=20_000)]
    decisions: list[Decision] = Field(default_factory=list, max_length=100)


class ProposalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    puskesmas_id: int
    event_id: str
    indicator_code: str
    area_code: str
    period: str
    title: str
    value: float | None
    target: float | None
    pws_status: str | None = None
    status: str
    meeting_id: int | None
    created_at: datetime


class ProposalAccept(Strict):
    meeting_id: int


class CarriedOverOut(BaseModel):
    """An unfinished follow-up (open or in progress) of an earlier meeting of the same puskesmas."""

    id: int
    meeting_id: int
    meeting_title: str
    meeting_scheduled_at: datetime
    title: str
    owner_agency_id: int
    owner_name: str | None
    due_at: datetime
    status: str
    percent: int
    is_overdue: bool
    days_late: int = Field(description="Whole days past due (0 when not yet due)")


class MeetingDetail(MeetingInvited):
    agenda: list[AgendaItemOut]
    attendance: list[AttendanceOut]
    follow_ups: list[FollowUpOut]
    carried_over: list[CarriedOverOut] = Field(
        default_factory=list, description="Unfinished follow-ups of this puskesmas's earlier meetings, "
                                          "newest meeting first (at most 200)")


# --- escalation policies ----------------------------------------------------------------------

def iso_duration(value: timedelta) -> str:
    """Days and a time part, never years or months (a year is not a fixed number of days), in
    the RFC 3339 duration grammar: P3D, PT12H, P1DT0H30M (no unit skipped between two used)."""
    days, rest = value.days, round(value.seconds + value.microseconds / 1e6)
    parts = [(rest // 3600, "H"), (rest % 3600 // 60, "M"), (rest % 60, "S")]
    used = [i for i, (n, _) in enumerate(parts) if n]
    time = "T" + "".join(f"{n}{unit}" for n, unit in parts[used[0]:used[-1] + 1]) if used else ""
    if not days:
        return f"P{time}" if time else "PT0S"
    return f"P{days}D{time}"


# Pydantic would write 9,507 days as "P26Y17D": not a valid RFC 3339 duration, and not the same length.
Duration = Annotated[timedelta, PlainSerializer(iso_duration, return_type=str, when_used="json")]


class StepIn(Strict):
    after: Duration = Field(description="ISO 8601 duration after due_at, e.g. P3D")
    notify: str = Field(pattern=NOTIFY_PATTERN, description="owner, owner_parent, puskesmas or agency:<id>")
    working_days: bool = False
    urgent: bool = Field(False, description="Its notices pass quiet hours and the daily digest (data.urgent)")

    @field_validator("after")
    @classmethod
    def not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("tidak boleh negatif / must not be negative")
        return value

    @model_validator(mode="after")
    def whole_working_days(self):
        if self.working_days and self.after % timedelta(days=1):
            raise ValueError("hari kerja harus bilangan hari utuh / working days must be whole days (e.g. P3D)")
        return self


class PolicyIn(Strict):
    due_soon_before: Duration = Field(timedelta(days=2), description="ISO 8601 duration before due_at, e.g. P2D")
    steps: list[StepIn] = Field(min_length=1, max_length=10)
    repeat_every: Duration | None = Field(
        timedelta(days=5), description="After the last step, repeat it this often, in working days (null: never)")
    progress_pause: Duration | None = Field(
        timedelta(days=3), description="An acknowledgement or progress note holds back the next escalation step "
                                       "for this many working days (null: no pause)")

    @field_validator("due_soon_before")
    @classmethod
    def positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("tidak boleh negatif / must not be negative")
        return value

    @field_validator("repeat_every", "progress_pause")
    @classmethod
    def whole_days(cls, value: timedelta | None, info) -> timedelta | None:
        # Counted in working days: whole days only, and a repeat at least a day apart (never a loop).
        if value is None:
            return value
        least = timedelta(days=1 if info.field_name == "repeat_every" else 0)
        if value % timedelta(days=1) or not least <= value <= timedelta(days=365):
            raise ValueError(f"hari kerja utuh antara {least.days} dan 365 (mis. P5D) / "
                             f"whole working days from {least.days} to 365 (e.g. P5D)")
        return value

    @field_validator("steps")
    @classmethod
    def in_order(cls, steps: list[StepIn]) -> list[StepIn]:
        if any(b.after < a.after for a, b in pairwise(steps)):
            raise ValueError("langkah harus urut waktu / steps must be in order of 'after'")
        return steps


class PolicyOut(BaseModel):
    puskesmas_id: int
    due_soon_before: Duration
    steps: list[StepIn]
    repeat_every: Duration | None = None
    progress_pause: Duration | None = None
    is_default: bool
