"""The meetings service's tables. Times are stored in UTC; each puskesmas has its own timezone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from minilok_shared.db import BigId, UTCDateTime, new_metadata, utcnow
from minilok_shared.events.consumer import inbox_table
from minilok_shared.events.outbox import outbox_table

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


class Puskesmas(Base):
    __tablename__ = "puskesmas"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(64))
    kota: Mapped[str] = mapped_column(String(120))
    provinsi: Mapped[str] = mapped_column(String(120))
    head_name: Mapped[str | None] = mapped_column(String(200))
    # Extra non-working days of this puskesmas (local holidays), ISO dates.
    extra_holidays: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (Index("ix_agencies_puskesmas_kind", "puskesmas_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    puskesmas_id: Mapped[int | None] = mapped_column(ForeignKey("puskesmas.id"))
    area_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[AgencyContact]] = relationship(
        back_populates="agency", cascade="all, delete-orphan", lazy="selectin", order_by="AgencyContact.id"
    )


class AgencyContact(Base):
    __tablename__ = "agency_contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))

    agency: Mapped[Agency] = relationship(back_populates="contacts")


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_puskesmas_scheduled", "puskesmas_id", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    puskesmas_id: Mapped[int] = mapped_column(ForeignKey("puskesmas.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    scheduled_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    summary: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[list[Any]] = mapped_column(default=list)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUp(Base):
    """A rencana tindak lanjut (RTL): an agreed action with an owner agency and a due time."""

    __tablename__ = "followups"
    __table_args__ = (
        # The scans read open work by due time; lists read newest first within a filter.
        Index("ix_followups_status_due", "status", "due_at"),
        Index("ix_followups_puskesmas_id", "puskesmas_id", "id"),
        Index("ix_followups_owner_id", "owner_agency_id", "id"),
        Index("ix_followups_meeting_id", "meeting_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    puskesmas_id: Mapped[int] = mapped_column(ForeignKey("puskesmas.id"))
    title: Mapped[str] = mapped_column(String(300))
    action: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    due_at: Mapped[datetime]
    area_code: Mapped[str | None] = mapped_column(String(64))
    indicator_code: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="open")
    escalation_level: Mapped[int] = mapped_column(default=0)
    percent: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]

    supporters: Mapped[list[FollowUpSupporter]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="FollowUpSupporter.agency_id"
    )

    @property
    def supporting_agency_ids(self) -> list[int]:
        return [s.agency_id for s in self.supporters]


class FollowUpSupporter(Base):
    __tablename__ = "followup_supporters"

    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)


class FollowUpHistory(Base):
    """Every change and event of a follow-up: who and when."""

    __tablename__ = "followup_history"
    __table_args__ = (UniqueConstraint("followup_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
