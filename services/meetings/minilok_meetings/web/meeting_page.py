"""The meeting page (`/meetings/{id}`): agenda, daftar hadir, notulen, several follow-ups at once,
publishing, and the PDF and XLSX documents."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from minilok_shared.deps import SessionDep
from minilok_shared.errors import unprocessable
from pydantic import ValidationError

from minilok_meetings.documents import download
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import followups, meetings, minutes
from minilok_meetings.service_layer.agencies import agency_names
from minilok_meetings.web import forms
from minilok_meetings.web.forms import FormDep
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, describe, page, redirect, render

router = APIRouter(include_in_schema=False)

FOLLOWUP_ROWS = 3


@router.get("/meetings/{meeting_id}")
@page
def meeting_page(request: Request, meeting_id: int, db: SessionDep, user):
    principal = user.principal
    meeting = meetings.get_meeting(db, principal, meeting_id)
    puskesmas = reads.puskesmas_by_id(db, meeting.puskesmas_id)
    agencies = reads.agencies_of(db, principal, meeting.puskesmas_id)
    names = {a.id: a.name for a in agencies} | agency_names(db, [
        *(f.owner_agency_id for f in meeting.follow_ups), *(a.agency_id for a in meeting.attendance),
        *(a.presenter_agency_id for a in meeting.agenda)])
    return render(request, "meeting.html", user, m=meeting, puskesmas=puskesmas, agencies=agencies, names=names,
                  rows=range(FOLLOWUP_ROWS), editable=meeting.status != "published" and not principal.is_dinas)


@router.post("/meetings/{meeting_id}/agenda")
@action("/meetings/{meeting_id}")
def add_agenda(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    minutes.add_agenda_item(db, user.principal, meeting_id, forms.agenda_item(form))
    return translator(lang_of(request))("Agenda ditambahkan.", "Agenda item added.")


@router.post("/meetings/{meeting_id}/attendance")
@action("/meetings/{meeting_id}")
def add_attendance(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """Adds one row to the daftar hadir (the API replaces the whole list: the rows so far + this one)."""
    meeting = meetings.get_meeting(db, user.principal, meeting_id)
    rows = forms.attendance_with_new_row(meeting.attendance, form)
    minutes.replace_attendance(db, user.principal, meeting_id, rows)
    return translator(lang_of(request))("Daftar hadir diperbarui.", "Attendance updated.")


@router.post("/meetings/{meeting_id}/minutes")
@action("/meetings/{meeting_id}")
def save_minutes(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    minutes.record_minutes(db, user.principal, meeting_id, forms.minutes(form))
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
            followups.add_followup(db, user.principal, meeting_id, forms.followup_create(title, row, supporters, _))
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
    minutes.publish_minutes(db, user.principal, meeting_id)
    return translator(lang_of(request))("Notulen diterbitkan.", "Minutes published.")


@router.get("/meetings/{meeting_id}/minutes.pdf")
@page
def minutes_pdf(request: Request, meeting_id: int, db: SessionDep, user):
    return download(minutes.minutes_pdf(db, user.principal, meeting_id))


@router.get("/meetings/{meeting_id}/follow-ups.xlsx")
@page
def followups_xlsx(request: Request, meeting_id: int, db: SessionDep, user):
    return download(minutes.followups_xlsx(db, user.principal, meeting_id))
