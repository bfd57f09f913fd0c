"""Reading the dashboard's form posts: the form dependency (FormDep), the small field parsers,
and each form's fields turned into the schema the service layer takes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from minilok_shared.errors import unprocessable
from starlette.datastructures import FormData

from minilok_meetings.schemas import (
    AcknowledgeIn,
    AgendaItemCreate,
    AttendanceIn,
    CompleteIn,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    FollowUpCreate,
    MeetingCreate,
    MeetingPatch,
    MinutesIn,
    ProgressIn,
    ProposalAccept,
    ReasonIn,
)


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=1000)


FormDep = Annotated[FormData, Depends(read_form)]


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def blank_to_none(value: Any) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else value
    return text or None


def local_path(value: str | None, default: str) -> str:
    """Only paths of this site are followed after a form (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def local_datetime(value: str | None, tz: str) -> datetime | None:
    """A `datetime-local` input, read in the puskesmas's timezone (None when empty or invalid)."""
    try:
        return datetime.fromisoformat((value or "").strip()).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return None


def meeting_create(form: FormData, puskesmas_id: int | None, tz: str) -> MeetingCreate:
    return MeetingCreate(puskesmas_id=puskesmas_id or 0, kind=form.get("kind") or "", title=form.get("title") or "",
                         scheduled_at=local_datetime(form.get("scheduled_at"), tz),
                         location=blank_to_none(form.get("location")))


def meeting_patch(form: FormData, tz: str) -> MeetingPatch:
    """The edit form sends all three fields; the service changes only what differs."""
    when = form.get("scheduled_at")
    scheduled = local_datetime(when, tz)
    if when and scheduled is None:
        raise unprocessable("scheduled_at", "waktu tidak sah / not a valid time")
    fields = {"title": form.get("title") or "", "location": blank_to_none(form.get("location"))}
    return MeetingPatch(**fields, **({"scheduled_at": scheduled} if scheduled else {}))


def invited_agency_ids(form: FormData) -> list[int]:
    """The ticked agencies of the invitation form (one checkbox `agency_id` each)."""
    return [i for i in (int_or_none(v) for v in form.getlist("agency_id")) if i is not None]


def agenda_item(form: FormData) -> AgendaItemCreate:
    return AgendaItemCreate(title=form.get("title") or "",
                            presenter_agency_id=int_or_none(form.get("presenter_agency_id")),
                            indicator_code=blank_to_none(form.get("indicator_code")),
                            notes=blank_to_none(form.get("notes")))


def indicator_agenda_item(form: FormData) -> AgendaItemCreate:
    """"<indicator> in <area> below target", from the indicators page, as an agenda item."""
    name, area, period = form.get("indicator_name") or form.get("indicator"), form.get("area_name"), form.get("period")
    value, target = form.get("value"), form.get("target")
    title = f"Capaian {name} di {area or form.get('area_code')} {period} di bawah target"
    if value and target:
        title += f" ({value} / target {target})"
    return AgendaItemCreate(title=title[:300], indicator_code=form.get("indicator") or None,
                            notes=f"Diusulkan dari halaman indikator (PWS) wilayah {form.get('area_code')} "
                                  f"periode {period}.")


def attendance_with_new_row(attendance: list, form: FormData) -> list[AttendanceIn]:
    """The daftar hadir so far plus the form's row (the service replaces the whole list)."""
    agency_id = int_or_none(form.get("agency_id"))
    if agency_id is None:  # the list starts on "— pilih —", never on some agency
        raise unprocessable("agency_id", "pilih lembaga / choose the agency")
    rows = [AttendanceIn(agency_id=a.agency_id, person_name=a.person_name, role=a.role, present=a.present)
            for a in attendance]
    rows.append(AttendanceIn(agency_id=agency_id,
                             person_name=form.get("person_name") or "",
                             role=blank_to_none(form.get("role")), present=form.get("present") != "0"))
    return rows


def minutes(form: FormData) -> MinutesIn:
    decisions = [line.strip() for line in (form.get("decisions") or "").splitlines() if line.strip()]
    return MinutesIn(summary=form.get("summary") or "", decisions=decisions)


def followup_rows(form: FormData) -> list[tuple[int, str, dict[str, str], list[str]]]:
    """The follow-up rows of the meeting page's form that have a title: (index, title, fields, supporters)."""
    rows = []
    for index, title in enumerate(form.getlist("title")):
        if not title.strip():
            continue
        fields = {name: (form.getlist(name)[index] if index < len(form.getlist(name)) else "")
                  for name in ("owner_agency_id", "due_date", "due_in_working_days", "priority", "action")}
        rows.append((index, title, fields, form.getlist(f"supporting_agency_ids-{index}")))
    return rows


def followup_create(title: str, row: dict, supporters: list[str], _) -> FollowUpCreate:
    # No owner is chosen for a row until someone chooses one: a forgotten choice must not give the
    # follow-up to whichever agency happens to be first in the list.
    owner = int_or_none(row["owner_agency_id"])
    if owner is None:
        raise unprocessable("owner_agency_id", _("pilih penanggung jawab", "choose the owner"))
    due_date, days = row["due_date"].strip(), row["due_in_working_days"].strip()
    if due_date and days:
        raise unprocessable("due_date", _("isi tanggal atau hari kerja, bukan keduanya",
                                          "give a date or working days, not both"))
    try:
        parsed_date = date.fromisoformat(due_date) if due_date else None
    except ValueError:
        raise unprocessable("due_date", _("tanggal tidak valid", "invalid date")) from None
    return FollowUpCreate(
        title=title, action=blank_to_none(row["action"]), owner_agency_id=owner,
        supporting_agency_ids=[i for i in (int_or_none(s) for s in supporters) if i is not None],
        due_date=parsed_date, due_in_working_days=int_or_none(days) if days else None,
        priority=row["priority"] or "normal")


def progress(form: FormData) -> ProgressIn:
    return ProgressIn(note=form.get("note") or "", percent=int_or_none(form.get("percent")),
                      evidence_url=blank_to_none(form.get("evidence_url")))


def completion(form: FormData) -> CompleteIn:
    return CompleteIn(note=form.get("note") or "", evidence_url=blank_to_none(form.get("evidence_url")))


def acknowledgement(form: FormData) -> AcknowledgeIn:
    return AcknowledgeIn(note=blank_to_none(form.get("note")))


def extension_request(form: FormData, _) -> ExtensionRequestIn:
    try:
        due_date = date.fromisoformat((form.get("due_date") or "").strip())
    except ValueError:
        raise unprocessable("due_date", _("tanggal tidak valid", "invalid date")) from None
    return ExtensionRequestIn(due_date=due_date, reason=form.get("reason") or "")


def extension_decision(form: FormData) -> ExtensionDecisionIn:
    return ExtensionDecisionIn(reason=blank_to_none(form.get("reason")))


def reason(form: FormData) -> ReasonIn:
    return ReasonIn(reason=form.get("reason") or "")


def proposal_accept(form: FormData) -> ProposalAccept:
    return ProposalAccept(meeting_id=int_or_none(form.get("meeting_id")) or 0)


def subscription(form: FormData, agency_id: int | None) -> dict[str, Any]:
    """The body of `POST /subscriptions` at the notifications service."""
    return {"agency_id": agency_id, "channel": form.get("channel"), "target": (form.get("target") or "").strip(),
            "event_types": form.getlist("event_types") or ["followup.*"], "language": form.get("language") or "id"}
