"""What goes into a meeting's documents, already loaded and named (no database here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from minilok_shared import labels

# The documents are in Bahasa Indonesia, in the same words as the pages (minilok_shared.labels).


def status_label(status: str, is_overdue: bool) -> str:
    label = labels.label(labels.FOLLOWUP_STATUSES, status)
    return f"{label} (terlambat)" if is_overdue else label


def funding_label(code: str | None) -> str | None:
    return labels.label(labels.FUNDING_SOURCES, code) or None


def rupiah(value: int | None) -> str | None:
    """1500000 → "Rp 1.500.000" (dots between thousands, as Indonesia writes money)."""
    return None if value is None else "Rp " + f"{value:,}".replace(",", ".")


def priority_label(priority: str) -> str:
    return labels.label(labels.PRIORITIES, priority)


def escalation_label(level: int) -> str | None:
    """"tingkat 2" for a follow-up escalated twice; nothing for one that never was."""
    return f"tingkat {level}" if level else None


@dataclass(frozen=True)
class AgendaRow:
    title: str
    presenter: str | None = None
    indicator_code: str | None = None
    notes: str | None = None
    indicator_name: str | None = None  # from the indicators catalogue, when it could be read


@dataclass(frozen=True)
class AttendanceRow:
    person_name: str
    agency: str
    role: str | None = None
    present: bool = True


@dataclass(frozen=True)
class EvidenceItem:
    """A photo or PDF of a follow-up's work: its thumbnail's bytes (None: a PDF, or a file the
    store has lost) and what to call it."""

    label: str
    content_type: str
    thumbnail: bytes | None = None


@dataclass(frozen=True)
class FollowUpRow:
    title: str
    owner: str
    due_at: datetime
    status: str
    is_overdue: bool = False
    problem: str | None = None
    action: str | None = None
    supporters: list[str] = field(default_factory=list)
    priority: str = "normal"
    escalation_level: int = 0
    evidence: list[EvidenceItem] = field(default_factory=list)
    more_evidence: int = 0  # beyond those in `evidence`, not shown
    # The RTL matrix's columns (Permenkes 44/2016).
    objective: str | None = None
    target_group: str | None = None
    location: str | None = None
    success_indicator: str | None = None
    cost_estimate: int | None = None
    funding_source: str | None = None


@dataclass(frozen=True)
class CarriedOverRow:
    """An unfinished RTL of an earlier meeting ("Tindak lanjut minilok sebelumnya")."""

    title: str
    owner: str
    meeting_title: str
    due_at: datetime
    status: str
    is_overdue: bool = False
    days_late: int = 0


@dataclass(frozen=True)
class MinutesContent:
    meeting_id: int
    title: str
    kind: str
    puskesmas: str
    kota: str
    provinsi: str
    timezone: str
    scheduled_at: datetime
    status: str
    location: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    decisions: list[str] = field(default_factory=list)
    agenda: list[AgendaRow] = field(default_factory=list)
    attendance: list[AttendanceRow] = field(default_factory=list)
    followups: list[FollowUpRow] = field(default_factory=list)
    carried_over: list[CarriedOverRow] = field(default_factory=list)
    head_name: str | None = None  # the kepala puskesmas, who signs
    camat: str | None = None  # the kecamatan invited to a cross-sector minilok, whose camat signs

    @property
    def camat_signs(self) -> bool:
        return self.kind == "quarterly_cross_sector"

    @property
    def kind_label(self) -> str:
        return labels.label(labels.MEETING_KINDS, self.kind if self.kind in labels.MEETING_KINDS else "other")
