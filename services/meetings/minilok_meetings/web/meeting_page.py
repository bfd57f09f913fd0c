"""The meeting page (`/meetings/{id}`): the undangan (who is invited, who came), moving or cancelling
the meeting, agenda, daftar hadir, notulen, several follow-ups at once, publishing, and the PDF,
XLSX and iCalendar documents."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request, Response
from minilok_shared import labels
from minilok_shared.deps import SessionDep
from minilok_shared.errors import unprocessable
from pydantic import ValidationError

from minilok_meetings import models
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


# The order agencies are listed in on the invitation form: government first, then the community.
AGENCY_KINDS = labels.AGENCY_KINDS


def invitation_groups(agencies, lang: str) -> list[tuple[str, list]]:
    """The agencies by kind, in AGENCY_KINDS order, for the checkbox list."""
    order = list(AGENCY_KINDS)
    groups: dict[str, list] = {}
    for agency in sorted(agencies, key=lambda a: (order.index(a.kind) if a.kind in order else len(order), a.name)):
        groups.setdefault(agency.kind, []).append(agency)
    return [(AGENCY_KINDS.get(kind, (kind, kind))[lang == "en"], rows) for kind, rows in groups.items()]


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
    manages = principal.is_admin or principal.role == "puskesmas"
    changeable = manages and meeting.status == "scheduled"
    ticked, from_previous = set(meeting.invited_agency_ids), False
    if changeable and not ticked:
        ticked = set(meetings.previous_invitations(db, db.get(models.Meeting, meeting_id)))
        from_previous = bool(ticked)
    present = {a.agency_id for a in meeting.attendance if a.present}
    recorded = {a.agency_id for a in meeting.attendance}
    local = meeting.scheduled_at.astimezone(ZoneInfo(puskesmas.timezone)).strftime("%Y-%m-%dT%H:%M")
    return render(request, "meeting.html", user, m=meeting, puskesmas=puskesmas, agencies=agencies, names=names,
                  rows=range(FOLLOWUP_ROWS), editable=changeable, manages=manages, changeable=changeable,
                  groups=invitation_groups(agencies, lang_of(request)), ticked=ticked,
                  from_previous=from_previous, present=present, recorded=recorded, local_start=local,
                  came_uninvited=sorted(present - set(meeting.invited_agency_ids)))


@router.post("/meetings/{meeting_id}/invitations")
@action("/meetings/{meeting_id}")
def save_invitations(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    meeting = meetings.set_invitations(db, user.principal, meeting_id, forms.invited_agency_ids(form))
    return translator(lang_of(request))(f"Undangan disimpan: {len(meeting.invited_agency_ids)} lembaga.",
                                        f"Invitations saved: {len(meeting.invited_agency_ids)} agencies.")


@router.post("/meetings/{meeting_id}/edit")
@action("/meetings/{meeting_id}")
def edit_meeting(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    tz = reads.puskesmas_by_id(db, meetings.meeting_for(db, user.principal, meeting_id).puskesmas_id).timezone
    meetings.patch_meeting(db, user.principal, meeting_id, forms.meeting_patch(form, tz))
    return translator(lang_of(request))("Rapat diperbarui; undangan diberi tahu.",
                                        "Meeting updated; the invited agencies are told.")


@router.post("/meetings/{meeting_id}/cancel")
@action("/meetings/{meeting_id}")
def cancel_meeting(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    _ = translator(lang_of(request))
    if form.get("confirm") != "1":
        raise unprocessable("confirm", _("centang konfirmasi untuk membatalkan rapat",
                                         "tick the confirmation to cancel the meeting"))
    meetings.cancel_meeting(db, user.principal, meeting_id, forms.reason(form))
    return _("Rapat dibatalkan; undangan diberi tahu.", "Meeting cancelled; the invited agencies are told.")


@router.get("/meetings/{meeting_id}/invitation.ics")
@page
def invitation_ics(request: Request, meeting_id: int, db: SessionDep, user):
    body, method = meetings.invitation_ics(db, user.principal, meeting_id)
    return Response(body, media_type=f"text/calendar; method={method}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="undangan-rapat-{meeting_id}.ics"'})


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
