"""The meeting page's forms read and kept: the notulen with its RTL rows, the attendance table and
the agenda item. What was typed stays in these plain objects, so that a page re-rendered after an
error shows all of it again, with each error sentence beside its field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from minilok_shared.errors import unprocessable
from pydantic import ValidationError
from starlette.datastructures import FormData

from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.schemas import AgendaItemCreate, AgendaItemPatch, AttendanceIn, FollowUpCreate, FollowUpPatch
from minilok_meetings.web.errors import field_errors
from minilok_meetings.web.forms import blank_to_none, int_or_none
from minilok_meetings.web.i18n import translator

BLANK_RTL_ROWS = 1
# The matrix's text columns, as the form names them and the API does.
MATRIX_TEXT = ("objective", "target_group", "location", "success_indicator")
# Lines to type decisions on: at least five in all (a minilok agrees five to twenty RTL), and
# always two blank ones; more come from a button.
DECISION_LINES, BLANK_DECISIONS = 5, 2


@dataclass
class RtlRow:
    """One RTL row of the notulen form, as typed (or as stored, for a row already saved)."""
    index: int
    followup_id: int | None = None
    title: str = ""
    owner: str = ""
    supporters: list[str] = field(default_factory=list)
    due_date: str = ""
    due_days: str = ""
    priority: str = "normal"
    action: str = ""
    # The RTL matrix's columns, as typed (cost as people write it: "Rp 1.500.000").
    objective: str = ""
    target_group: str = ""
    location: str = ""
    success_indicator: str = ""
    cost: str = ""
    funding_source: str = ""
    remove: bool = False
    confirm_past: bool = False
    asks_past: bool = False  # the server asked "tenggat sudah lewat — tetap simpan?"
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        return self.followup_id is None and not any(
            (self.title.strip(), self.owner, self.supporters, self.due_date.strip(), self.due_days.strip(),
             self.action.strip(), *(getattr(self, name).strip() for name in MATRIX_TEXT), self.cost.strip(),
             self.funding_source))


@dataclass
class Notulen:
    summary: str = ""
    decisions: list[str] = field(default_factory=list)
    rows: list[RtlRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def with_blanks(self) -> Notulen:
        """Room to type: blank decision lines and one blank RTL row (more come from a button)."""
        decisions = [d for d in self.decisions if d.strip()]
        decisions += [""] * max(BLANK_DECISIONS, DECISION_LINES - len(decisions))
        rows = [r for r in self.rows if not r.is_blank]
        rows += [RtlRow(index=0) for _ in range(BLANK_RTL_ROWS)]
        for index, row in enumerate(rows):
            row.index = index
        return Notulen(self.summary, decisions, rows, self.errors)


def local_date(value: datetime, tz: str) -> str:
    """A due day as the page writes it: dd/mm/yyyy in the puskesmas's zone."""
    return value.astimezone(ZoneInfo(tz)).date().strftime("%d/%m/%Y")


_DAY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def parse_day(text: str) -> date:
    """A date as people in Indonesia write it (31/01/2026, 31-1-2026, 31.01.2026), or ISO 2026-01-31.
    The field is text, not a browser date input, so that it reads dd/mm/yyyy in every browser."""
    text = text.strip()
    found = _DAY.match(text)
    if found:
        day, month, year = (int(x) for x in found.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


_RUPIAH = re.compile(r"^(?:rp\.?)?\s*(\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+|\d+)(?:,(?:0{1,2}|-))?\s*$",
                     re.IGNORECASE)


def parse_rupiah(text: str) -> int | None:
    """A cost as people write it: "Rp 1.500.000", "Rp1.500.000,-", "1.500.000,00", "1500000";
    blank is None. Anything else (sen, a negative, words) is a ValueError."""
    compact = text.strip().replace("\u00a0", " ")
    if not compact:
        return None
    found = _RUPIAH.match(compact.replace(" ", "") if compact.lower().startswith("rp") else compact)
    if not found:
        raise ValueError(text)
    return int(re.sub(r"[.,]", "", found.group(1)))


def format_rupiah(value: int | None, prefix: str = "Rp ") -> str:
    """1500000 → "Rp 1.500.000" (dots between thousands, as Indonesia writes money); None → ""."""
    if value is None:
        return ""
    return prefix + f"{value:,}".replace(",", ".")


def stored_notulen(meeting, tz: str) -> Notulen:
    """The notulen as saved: its summary, decisions and the meeting's follow-ups still on it."""
    rows = [RtlRow(index=i, followup_id=f.id, title=f.title, owner=str(f.owner_agency_id),
                   supporters=[str(s) for s in f.supporting_agency_ids], due_date=local_date(f.due_at, tz),
                   priority=f.priority, action=f.action or "", objective=f.objective or "",
                   target_group=f.target_group or "", location=f.location or "",
                   success_indicator=f.success_indicator or "", cost=format_rupiah(f.cost_estimate),
                   funding_source=f.funding_source or "")
            for i, f in enumerate(meeting.follow_ups) if f.status in ACTIVE]
    return Notulen(meeting.summary or "", list(meeting.decisions or []), rows)


_ROW_FIELD = re.compile(r"^rtl-(\d+)-title$")


def typed_notulen(form: FormData) -> Notulen:
    """The notulen form as posted: `summary`, `decision` lines and `rtl-<n>-<field>` rows."""
    indices = sorted({int(m.group(1)) for key in form.keys() if (m := _ROW_FIELD.match(key))})
    rows = []
    for n in indices:
        def get(name: str, n: int = n) -> str:
            return str(form.get(f"rtl-{n}-{name}") or "")
        rows.append(RtlRow(
            index=len(rows), followup_id=int_or_none(get("id")), title=get("title"), owner=get("owner"),
            supporters=[str(s) for s in form.getlist(f"rtl-{n}-supporting")], due_date=get("due_date"),
            due_days=get("due_days"), priority=get("priority") or "normal", action=get("action"),
            **{name: get(name) for name in MATRIX_TEXT}, cost=get("cost"), funding_source=get("funding_source"),
            remove=get("remove") == "1", confirm_past=get("confirm_past") == "1"))
    return Notulen(str(form.get("summary") or ""), [str(d) for d in form.getlist("decision")], rows)


def _due(row: RtlRow, _) -> tuple[date | None, int | None]:
    due_date, days = row.due_date.strip(), row.due_days.strip()
    if due_date and days:
        raise unprocessable("due_date", _("isi tanggal atau hari kerja, bukan keduanya",
                                          "give a date or working days, not both"))
    if not due_date and not days:
        raise unprocessable("due_date", _("isi tanggal tenggat atau jumlah hari kerja",
                                          "give a due date or a number of working days"))
    try:
        parsed = parse_day(due_date) if due_date else None
    except ValueError:
        raise unprocessable("due_date", _("tanggal tidak valid (hh/bb/tttt)",
                                          "not a valid date (dd/mm/yyyy)")) from None
    count = int_or_none(days) if days else None
    if days and count is None:
        raise unprocessable("due_days", _("jumlah hari kerja harus angka bulat", "working days must be a whole number"))
    return parsed, count


def _owner(row: RtlRow, _) -> int:
    # Nothing is chosen until someone chooses: a forgotten choice must not give the follow-up to
    # whichever agency happens to be first in the list.
    owner = int_or_none(row.owner)
    if owner is None:
        raise unprocessable("owner", _("pilih penanggung jawab", "choose the owner"))
    return owner


def _supporters(row: RtlRow) -> list[int]:
    return [i for i in (int_or_none(s) for s in row.supporters) if i is not None]


def _cost(row: RtlRow, _) -> int | None:
    try:
        return parse_rupiah(row.cost)
    except ValueError:
        raise unprocessable("cost", _("tulis biaya dalam rupiah tanpa sen, mis. Rp 1.500.000 atau 1500000",
                                      "write the cost in whole rupiah, e.g. Rp 1.500.000 or 1500000")) from None


def _matrix(row: RtlRow, _) -> dict:
    """The RTL matrix's columns of a row, as the API takes them (blank: none)."""
    return {**{name: getattr(row, name).strip() or None for name in MATRIX_TEXT},
            "cost_estimate": _cost(row, _), "funding_source": row.funding_source or None}


def new_followup(row: RtlRow, _) -> FollowUpCreate:
    if not row.title.strip():
        raise unprocessable("title", _("isi judul / kegiatan RTL ini", "give this follow-up a title"))
    owner = _owner(row, _)
    due_date, days = _due(row, _)
    matrix = _matrix(row, _)
    return FollowUpCreate(title=row.title, action=blank_to_none(row.action), owner_agency_id=owner,
                          supporting_agency_ids=_supporters(row), due_date=due_date, due_in_working_days=days,
                          priority=row.priority or "normal", **matrix)


def followup_changes(row: RtlRow, saved: RtlRow, _) -> tuple[FollowUpPatch | None, FollowUpCreate | None]:
    """What changed in a saved row (None: nothing), and the due time as a FollowUpCreate when the
    due changed (to learn when it falls, and ask before a due time already past)."""
    if not row.title.strip():
        raise unprocessable("title", _("judul tidak boleh kosong; centang Hapus untuk membuang baris ini",
                                       "the title cannot be empty; tick Remove to drop this row"))
    changes: dict = {}
    if row.title.strip() != saved.title:
        changes["title"] = row.title.strip()
    owner = _owner(row, _)
    if owner != int(saved.owner):
        changes["owner_agency_id"] = owner
    if row.priority != saved.priority:
        changes["priority"] = row.priority
    if row.action.strip() != saved.action:
        changes["action"] = row.action.strip()
    if sorted(_supporters(row)) != sorted(int(s) for s in saved.supporters):
        changes["supporting_agency_ids"] = _supporters(row)
    matrix, before = _matrix(row, _), _matrix(saved, _)
    changes.update({name: value for name, value in matrix.items() if value != before[name]})
    due = None
    if row.due_days.strip() or not _same_day(row.due_date, saved.due_date):
        due_date, days = _due(row, _)
        due = FollowUpCreate(title=row.title or "-", owner_agency_id=owner, due_date=due_date,
                             due_in_working_days=days)
    return (FollowUpPatch(**changes) if changes else None), due


def _same_day(typed: str, saved: str) -> bool:
    """False when the typed due day differs from the saved one (or cannot be read: asked again)."""
    try:
        return parse_day(typed) == parse_day(saved)
    except ValueError:
        return False


def minutes_fields(notulen: Notulen):
    return notulen.summary, [d.strip() for d in notulen.decisions if d.strip()]


# --- the attendance table ----------------------------------------------------------------------

@dataclass
class AttendeeRow:
    index: int
    agency_id: int
    present: bool = False
    person_name: str = ""
    role: str = ""
    invited: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def attendance_table(agencies, invited_ids: list[int], attendance) -> list[AttendeeRow]:
    """One row per agency of the puskesmas, invited ones first (an agency with several people
    recorded has a row for each), pre-filled with what the daftar hadir holds."""
    invited = set(invited_ids)
    known = {a.id for a in agencies}
    by_agency: dict[int, list] = {}
    for a in attendance:
        by_agency.setdefault(a.agency_id, []).append(a)
    ordered = [a.id for a in agencies if a.id in invited] + [a.id for a in agencies if a.id not in invited]
    ordered += [i for i in by_agency if i not in known]  # someone recorded for an agency no longer listed
    rows = []
    for agency_id in ordered:
        for a in by_agency.get(agency_id) or [None]:
            rows.append(AttendeeRow(index=len(rows), agency_id=agency_id, invited=agency_id in invited,
                                    present=bool(a and a.present), person_name=a.person_name if a else "",
                                    role=(a.role or "") if a else ""))
    return rows


_ATT_FIELD = re.compile(r"^att-(\d+)-agency$")


def typed_attendance(form: FormData, invited_ids: list[int]) -> list[AttendeeRow]:
    indices = sorted({int(m.group(1)) for key in form.keys() if (m := _ATT_FIELD.match(key))})
    rows = []
    for n in indices:
        agency_id = int_or_none(form.get(f"att-{n}-agency"))
        if agency_id is None:
            continue
        rows.append(AttendeeRow(index=len(rows), agency_id=agency_id, present=form.get(f"att-{n}-present") == "1",
                                person_name=str(form.get(f"att-{n}-name") or ""),
                                role=str(form.get(f"att-{n}-role") or ""), invited=agency_id in invited_ids))
    return rows


def attendance_body(rows: list[AttendeeRow], lang: str) -> list[AttendanceIn] | None:
    """The daftar hadir to store: every row with a name (ticked: present). Errors go on the rows
    (None is returned then): a ticked row without a name, a name too long."""
    _ = translator(lang)
    body, failed = [], False
    for row in rows:
        if not row.person_name.strip():
            if row.present:
                row.errors["person_name"] = _("isi nama yang hadir", "type the name of who came")
                failed = True
            continue
        try:
            body.append(AttendanceIn(agency_id=row.agency_id, person_name=row.person_name,
                                     role=blank_to_none(row.role), present=row.present))
        except ValidationError as exc:
            row.errors.update(field_errors(exc, lang))
            failed = True
    return None if failed else body


# --- agenda items and their indicator ----------------------------------------------------------

def indicator_code(text: str | None, catalogue: list[dict] | None, _) -> str | None:
    """The indicator an agenda item names, typed or picked by name (or code) from the catalogue.
    Anything else is a sentence, never a pattern error."""
    text = (text or "").strip()
    if not text:
        return None
    if catalogue is None:
        raise unprocessable("indicator", _("katalog indikator tidak terjangkau sekarang; kosongkan indikator "
                                           "atau coba lagi nanti",
                                           "the indicator catalogue is unreachable now; leave the indicator "
                                           "empty or try again later"))
    wanted = text.casefold()
    for item in catalogue:
        if wanted in (str(item["name"]).casefold(), str(item["code"]).casefold()):
            return item["code"]
    raise unprocessable("indicator", _(f"indikator “{text}” tidak ada di katalog; pilih dari daftar",
                                       f"no indicator “{text}” in the catalogue; choose one from the list"))


def agenda_create(form: FormData, catalogue: list[dict] | None, _) -> AgendaItemCreate:
    return AgendaItemCreate(title=str(form.get("title") or ""),
                            presenter_agency_id=int_or_none(form.get("presenter_agency_id")),
                            indicator_code=indicator_code(form.get("indicator"), catalogue, _),
                            notes=blank_to_none(form.get("notes")))


def agenda_patch(form: FormData, catalogue: list[dict] | None, item, _) -> AgendaItemPatch:
    """The edit form sends every field; an indicator left as shown keeps its code even when the
    catalogue cannot be reached."""
    shown = str(form.get("indicator") or "").strip()
    unchanged = item.indicator_code and shown in (item.indicator_code, str(form.get("indicator_shown") or ""))
    code = item.indicator_code if unchanged else indicator_code(shown, catalogue, _)
    return AgendaItemPatch(title=str(form.get("title") or ""),
                           presenter_agency_id=int_or_none(form.get("presenter_agency_id")),
                           indicator_code=code, notes=blank_to_none(form.get("notes")))
