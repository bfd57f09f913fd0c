"""The meeting page: agenda, daftar hadir, notulen, several follow-ups at once, publishing, and
the PDF and XLSX documents, each through the function its API route runs."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from minilok_shared.deps import SessionDep
from minilok_shared.errors import unprocessable
from pydantic import ValidationError

from minilok_meetings import models
from minilok_meetings.api import followups as followups_api
from minilok_meetings.api import meetings as meetings_api
from minilok_meetings.api import minutes as minutes_api
from minilok_meetings.minutes import agency_names
from minilok_meetings.web import data, forms
from minilok_meetings.web.forms import FormDep
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, describe, page, redirect, render

router = APIRouter(include_in_schema=False)

FOLLOWUP_ROWS = 3


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
    minutes_api.add_agenda_item(meeting_id, forms.agenda_item(form), db, user.principal)
    return translator(lang_of(request))("Agenda ditambahkan.", "Agenda item added.")


@router.post("/meetings/{meeting_id}/attendance")
@action("/meetings/{meeting_id}")
def add_attendance(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """Adds one row to the daftar hadir (the API replaces the whole list: the rows so far + this one)."""
    meeting = meetings_api.get_meeting(meeting_id, db, user.principal)
    rows = forms.attendance_with_new_row(meeting.attendance, form)
    minutes_api.replace_attendance(meeting_id, rows, db, user.principal)
    return translator(lang_of(request))("Daftar hadir diperbarui.", "Attendance updated.")


@router.post("/meetings/{meeting_id}/minutes")
@action("/meetings/{meeting_id}")
def save_minutes(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    minutes_api.record_minutes(meeting_id, forms.minutes(form), db, user.principal)
    return translator(lang_of(request))("Notulen disimpan.", "Minutes saved.")


@router.post("/meetings/{meeting_id}/follow-ups")
@action("/meetings/{meeting_id}")
def add_followups(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """Several follow-ups in one form: each row is created on its own (a bad row does not stop
    the good ones) and the message names the rows that failed."""
    _ = translator(lang_of(request))
    created, failures = 0, []
    for index, title, row, supporters in forms.followup_rows(form):
        try:
            followups_api.add_followup(meeting_id, forms.followup_create(title, row, supporters, _), db,
                                       user.principal)
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
