"""What goes into a meeting's documents, already loaded and named (no database here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

KIND_LABELS = {
    "monthly_internal": "Lokakarya Mini Bulanan",
    "quarterly_cross_sector": "Lokakarya Mini Tribulanan Lintas Sektor",
    "other": "Lokakarya Mini",
}
STATUS_LABELS = {"open": "Terbuka", "in_progress": "Sedang dikerjakan", "done": "Selesai", "cancelled": "Dibatalkan"}
PRIORITY_LABELS = {"low": "Rendah", "normal": "Normal", "high": "Tinggi"}


def status_label(status: str, is_overdue: bool) -> str:
    label = STATUS_LABELS.get(status, status)
    return f"{label} (terlambat)" if is_overdue else label


@dataclass(frozen=True)
class AgendaRow:
    title: str
    presenter: str | None = None
    indicator_code: str | None = None
    notes: str | None = None


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

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "Lokakarya Mini")
