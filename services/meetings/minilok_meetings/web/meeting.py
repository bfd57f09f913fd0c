"""The meeting page: agenda, daftar hadir, notulen, several follow-ups at once, publishing, and
the PDF and XLSX documents, each through the function its API route runs."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from minilok_shared.deps import SessionDep
from minilok_shared.errors import unprocessable
from pydantic import ValidationError

from minilok_meetings import models
from minilok_meetings.api import followups as followups_api
from minilok_meetings.api import meetings as meetings_api
from minilok_meetings.api import minutes as minutes_api
from minilok_meetings.api.minutes_schemas import AgendaItemCreate, AttendanceIn, MinutesIn
from minilok_meetings.api.schemas import FollowUpCreate
from minilok_meetings.minutes import agency_names
from minilok_meetings.web import data
from minilok_meetings.web.common import (
    action,
    blank_to_none,
    describe,
    int_or_none,
    lang_of,
    page,
    redirect,
    render,
    translator,
)
from minilok_meetings.web.pages import FormDep

router = APIRouter(include_in_schema=False)

FOLLOWUP_ROWS = 3


def local_datetime(value: str | None, tz: str) -> datetime | None:
    """A `datetime-local` input, read in the puskesmas's timezone (None when empty or invalid)."""
    try:
        return datetime.fromisoformat((value or "").strip()).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return None


@router.get("/meetings/{meeting_id}")
@page
def meeting_page(request: Request, meeting_id: int, db: SessionDep, user):
    principal = user.principal
    meeting = meetings_api.get_meeting(meeting_id, db, principal)
    puskesmas = db.get(models.Puskesmas, meeting.puskesmas_id)
    agencies = data.agencies_of(db, principal, meeting.puskesmas_id)
    names = {a.id: a.name for a in agencies} | agency_names(db, [
        *(f.owner_agency_id for f in meeting.follow_ups), *(a.agency_id for a in meeting.attendance),
        *(a.presenter_agency_id for a in meeting.agenda)])
    return render(request, "meeting.html", user, m=meeting, puskesmas=puskesmas, agencies=agencies, names=names,
                  rows=range(FOLLOWUP_ROWS), editable=meeting.status != "published")


@router.post("/meetings/{meeting_id}/agenda")
@action("/meetings/{meeting_id}")
def add_agenda(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    body = AgendaItemCreate(title=form.get("title") or "",
                            presenter_agency_id=int_or_none(form.get("presenter_agency_id")),
                            indicator_code=blank_to_none(form.get("indicator_code")),
                            notes=blank_to_none(form.get("notes")))
    minutes_api.add_agenda_item(meeting_id, body, db, user.principal)
    return translator(lang_of(request))("Agenda ditambahkan.", "Agenda item added.")


@router.post("/meetings/{meeting_id}/attendance")
@action("/meetings/{meeting_id}")
def add_attendance(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """Adds one row to the daftar hadir (the API replaces the whole list: the rows so far + this one)."""
    meeting = meetings_api.get_meeting(meeting_id, db, user.principal)
    rows = [AttendanceIn(agency_id=a.agency_id, person_name=a.person_name, role=a.role, present=a.present)
            for a in meeting.attendance]
    rows.append(AttendanceIn(agency_id=int_or_none(form.get("agency_id")) or 0,
                             person_name=form.get("person_name") or "",
                             role=blank_to_none(form.get("role")), present=form.get("present") != "0"))
    minutes_api.replace_attendance(meeting_id, rows, db, user.principal)
    return translator(lang_of(request))("Daftar hadir diperbarui.", "Attendance updated.")


@router.post("/meetings/{meeting_id}/minutes")
@action("/meetings/{meeting_id}")
def save_minutes(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    decisions = [line.strip() for line in (form.get("decisions") or "").splitlines() if line.strip()]
    minutes_api.record_minutes(meeting_id, MinutesIn(summary=form.get("summary") or "", decisions=decisions), db,
                               user.principal)
    return translator(lang_of(request))("Notulen disimpan.", "Minutes saved.")


@router.post("/meetings/{meeting_id}/follow-ups")
@action("/meetings/{meeting_id}")
def add_followups(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """Several follow-ups in one form: each row is created on its own (a bad row does not stop
    the good ones) and the message names the rows that failed."""
    _ = translator(lang_of(request))
    titles = form.getlist("title")
    created, failures = 0, []
    for index, title in enumerate(titles):
        if not title.strip():
            continue
        row = {name: (form.getlist(name)[index] if index < len(form.getlist(name)) else "")
               for name in ("owner_agency_id", "due_date", "due_in_working_days", "priority", "action")}
        try:
            body = _followup_body(title, row, form.getlist(f"supporting_agency_ids-{index}"), _)
            followups_api.add_followup(meeting_id, body, db, user.principal)
            created += 1
        except (HTTPException, ValidationError) as exc:
            db.rollback()
            failures.append(f"{_('baris', 'row')} {index + 1}: {describe(exc)}")
    if not created and not failures:
        raise unprocessable("title", _("isi judul paling sedikit satu tindak lanjut",
                                       "give at least one follow-up a title"))
    message = _(f"{created} tindak lanjut ditambahkan.", f"{created} follow-up(s) added.")
    if failures:
        return redirect(request, f"/meetings/{meeting_id}", message + " " + "; ".join(failures), "error")
    return message


def _followup_body(title: str, row: dict, supporters: list[str], _) -> FollowUpCreate:
    due_date, days = row["due_date"].strip(), row["due_in_working_days"].strip()
    if due_date and days:
        raise unprocessable("due_date", _("isi tanggal atau hari kerja, bukan keduanya",
                                          "give a date or working days, not both"))
    try:
        parsed_date = date.fromisoformat(due_date) if due_date else None
    except ValueError:
        raise unprocessable("due_date", _("tanggal tidak valid", "invalid date")) from None
    return FollowUpCreate(
        title=title, action=blank_to_none(row["action"]), owner_agency_id=int_or_none(row["owner_agency_id"]) or 0,
        supporting_agency_ids=[i for i in (int_or_none(s) for s in supporters) if i is not None],
        due_date=parsed_date, due_in_working_days=int_or_none(days) if days else None,
        priority=row["priority"] or "normal")


@router.post("/meetings/{meeting_id}/publish")
@action("/meetings/{meeting_id}")
def publish(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    minutes_api.publish_minutes(meeting_id, db, user.principal)
    return translator(lang_of(request))("Notulen diterbitkan.", "Minutes published.")


@router.get("/meetings/{meeting_id}/minutes.pdf")
@page
def minutes_pdf(request: Request, meeting_id: int, db: SessionDep, user):
    return minutes_api.minutes_pdf(meeting_id, db, user.principal)


@router.get("/meetings/{meeting_id}/follow-ups.xlsx")
@page
def followups_xlsx(request: Request, meeting_id: int, db: SessionDep, user):
    return minutes_api.followups_xlsx(meeting_id, db, user.principal)
