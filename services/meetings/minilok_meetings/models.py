"""The meetings service's tables. Times are stored in UTC; each puskesmas has its own timezone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from minilok_shared.db import BigId, UTCDateTime, new_metadata, utcnow
from minilok_shared.tables import service_tables
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


outbox, inbox, audit_log, idempotency_keys, revoked_tokens = service_tables(metadata)

# Dashboard sign-ins (web/session.py). The cookie holds only a random session id, stored here as its
# SHA-256; the user's token stays on the server, for the dashboard's calls to the other services.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("token", Text, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_dashboard_sessions_expires_at", "expires_at"),
)


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
    # Sign-in by code finds a contact by phone or (case-insensitively) by email.
    __table_args__ = (Index("ix_agency_contacts_phone", "phone"),
                      Index("ix_agency_contacts_email_lower", func.lower(text("email"))))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    # Whether this contact may request a sign-in code ("boleh masuk"); off keeps the contact for
    # messages only.
    can_sign_in: Mapped[bool] = mapped_column(default=True, server_default=true())

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
    # Raised on every change an invitee must hear (time, place, title, cancellation): the
    # iCalendar SEQUENCE, so calendars replace the invitation they hold.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class MeetingInvitation(Base):
    """An agency invited to a meeting (the undangan): it hears the meeting's events."""

    __tablename__ = "meeting_invitations"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUp(Base):
    """A rencana tindak lanjut (RTL): an agreed action with an owner agency and a due time."""

    __tablename__ = "followups"
    __table_args__ = (
        # The scans read open work by due time; lists read newest first within a filter.
        Index("ix_followups_status_due", "status", "due_at"),
        Index("ix_followups_puskesmas_id", "puskesmas_id", "id"),
        Index("ix_followups_puskesmas_status_id", "puskesmas_id", "status", "id"),  # lists by status
        Index("ix_followups_owner_id", "owner_agency_id", "id"),
        Index("ix_followups_meeting_id", "meeting_id", "id"),
        Index("ix_followups_next_reminder", "next_reminder_at"),
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
    # The RTL matrix's columns (Permenkes 44/2016): tujuan, sasaran, lokasi, indikator keberhasilan,
    # biaya (whole rupiah) and sumber dana (labels.FUNDING_SOURCES).
    objective: Mapped[str | None] = mapped_column(Text)
    target_group: Mapped[str | None] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(String(300))
    success_indicator: Mapped[str | None] = mapped_column(Text)
    cost_estimate: Mapped[int | None] = mapped_column(BigInteger)
    funding_source: Mapped[str | None] = mapped_column(String(16))
    escalation_level: Mapped[int] = mapped_column(default=0)
    percent: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]
    # Reminders and escalation: the scan reads only follow-ups whose `next_reminder_at` has come
    # (one indexed column, however many follow-ups exist). `reminder_stage` says which steps
    # already fired for the current due time, so each (follow-up, step, due time) fires once;
    # rescheduling resets both.
    next_reminder_at: Mapped[datetime | None]
    reminder_stage: Mapped[int] = mapped_column(default=0)
    # Escalation that listens: when the owner last acknowledged, until when an acknowledgement or a
    # progress note holds back the next escalation step (policy `progress_pause`), and when the
    # last stage fired (repeats of the last step count from it, policy `repeat_every`).
    acknowledged_at: Mapped[datetime | None]
    paused_until: Mapped[datetime | None]
    last_stage_at: Mapped[datetime | None]

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


class FollowUpEscalation(Base):
    """An agency a follow-up was escalated to: it may open the follow-up and add notes."""

    __tablename__ = "followup_escalations"

    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Evidence(Base):
    """A photo or PDF proving the work of a follow-up; the bytes live in the evidence store."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_followup_id", "followup_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    storage_key: Mapped[str] = mapped_column(String(300))
    thumbnail_key: Mapped[str | None] = mapped_column(String(300))
    original_name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExtensionRequest(Base):
    """An owner's request for more time, approved or refused by the puskesmas."""

    __tablename__ = "extension_requests"
    __table_args__ = (
        Index("ix_extension_requests_puskesmas_status", "puskesmas_id", "status", "id"),
        Index("ix_extension_requests_followup_id", "followup_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"))
    puskesmas_id: Mapped[int] = mapped_column(ForeignKey("puskesmas.id"))
    due_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | refused
    requested_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)


class SignInCode(Base):
    """A one-time sign-in code sent to an agency contact; only its keyed hash is kept."""

    __tablename__ = "sign_in_codes"
    __table_args__ = (Index("ix_sign_in_codes_contact_created", "contact_key", "created_at"),
                      Index("ix_sign_in_codes_expires_at", "expires_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The normalised phone (E.164) or email the code was sent to.
    contact_key: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInFailure(Base):
    """A wrong code for a contact: five within 15 minutes lock that contact out for a while."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_contact_at", "contact_key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_key: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(default=utcnow)


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


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    presenter_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    indicator_code: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(Base):
    """Daftar hadir: who came to a meeting, for which agency."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    person_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(120))
    present: Mapped[bool] = mapped_column(default=True)


class Proposal(Base):
    """An agenda item proposed from an `indicator.below_target` event, for the next meeting."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_puskesmas_status", "puskesmas_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    puskesmas_id: Mapped[int] = mapped_column(ForeignKey("puskesmas.id"))
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    indicator_code: Mapped[str] = mapped_column(String(64))
    area_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    value: Mapped[float | None]
    target: Mapped[float | None]
    pws_status: Mapped[str | None] = mapped_column(String(8))  # jelek | cukup; None before PWS or by hand
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed | accepted | dismissed
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationPolicy(Base):
    """A puskesmas's reminder and escalation ladder (the contract's default when absent)."""

    __tablename__ = "escalation_policies"

    puskesmas_id: Mapped[int] = mapped_column(ForeignKey("puskesmas.id"), primary_key=True)
    due_soon_before: Mapped[str] = mapped_column(String(32))
    steps: Mapped[list[Any]] = mapped_column()
    # ISO 8601 durations in working days; None: never repeat / never pause.
    repeat_every: Mapped[str | None] = mapped_column(String(32), default="P5D")
    progress_pause: Mapped[str | None] = mapped_column(String(32), default="P3D")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
