"""Bodies of the agenda, daftar hadir, notulen and proposal routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from minilok_meetings.api.schemas import Code, LongText, Strict, Text
from minilok_shared.validation import MultiLine, SingleLine

ProposalStatus = Literal["proposed", "accepted", "dismissed"]
PROPOSAL_STATUSES = ProposalStatus.__args__


class AgendaItemCreate(Strict):
    title: Text
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
    status: str
    meeting_id: int | None
    created_at: datetime


class ProposalAccept(Strict):
    meeting_id: int
