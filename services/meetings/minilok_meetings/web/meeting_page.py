"""The meeting page (`/meetings/{id}`): the undangan (who is invited, who came), moving or cancelling
the meeting, the agenda (indicators picked by name), the daftar hadir as one table, the notulen and
its RTL rows in one form that keeps everything typed when a part fails, publishing after a
confirmation, and the PDF, XLSX and iCalendar documents."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, HTTPException, Request, Response
from minilok_shared import labels
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep
from minilok_shared.errors import unprocessable
from pydantic import ValidationError

from minilok_meetings import models
from minilok_meetings.documents import download
from minilok_meetings.schemas import CompleteIn, FollowUpPatch, MinutesIn, NoteIn, ProgressIn, ReasonIn
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import followup_notes, followups, meetings, minutes
from minilok_meetings.service_layer.agencies import agency_names
from minilok_meetings.web import clients, forms
from minilok_meetings.web import meeting_forms as mf
from minilok_meetings.web.errors import describe as sentences
from minilok_meetings.web.errors import field_errors
from minilok_meetings.web.forms import FormDep
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, page, redirect, render

router = APIRouter(include_in_schema=False)

AGENCY_KINDS = labels.AGENCY_KINDS
# The service's field names, as the RTL row's inputs are named.
ROW_FIELDS = {"owner_agency_id": "owner", "supporting_agency_ids": "supporters", "due_in_working_days": "due_days",
              "due_at": "due_date", "cost_estimate": "cost", "": "row"}


def invitation_groups(agencies, lang: str) -> list[tuple[str, list]]:
    """The agencies by kind, in AGENCY_KINDS order, for the checkbox lists (invitations, supporters)."""
    order = list(AGENCY_KINDS)
    groups: dict[str, list] = {}
    for agency in sorted(agencies, key=lambda a: (order.index(a.kind) if a.kind in order else len(order), a.name)):
        groups.setdefault(agency.kind, []).append(agency)
    return [(labels.label("agency_kind", kind, lang), rows) for kind, rows in groups.items()]


def indicator_catalogue(request: Request, user) -> list[dict] | None:
    """The indicators service's catalogue, or None while it cannot be reached."""
    try:
        with clients.indicators(request, user) as client:
            listed = client.get("/indicators", params={"limit": 200})
    except httpx.HTTPError:
        return None
    return listed.json()["items"] if listed.status_code == 200 else None


def _page(request: Request, db, user, meeting_id: int, *, notulen: mf.Notulen | None = None,
          attendees: list[mf.AttendeeRow] | None = None, notice: str | None = None, status_code: int = 200,
          agenda_errors: dict | None = None):
    principal = user.principal
    lang = lang_of(request)
    meeting = meetings.get_meeting(db, principal, meeting_id)
    puskesmas = reads.puskesmas_by_id(db, meeting.puskesmas_id)
    tz = puskesmas.timezone
    agencies = reads.agencies_of(db, principal, meeting.puskesmas_id)
    removed = minutes.removed_from_minutes(db, meeting.follow_ups)
    meeting.follow_ups = [f for f in meeting.follow_ups if f.id not in removed]
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
    local = meeting.scheduled_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")
    catalogue = indicator_catalogue(request, user) if changeable or any(a.indicator_code for a in meeting.agenda) \
        else []
    indicator_names = {i["code"]: i["name"] for i in catalogue or []}
    groups = invitation_groups(agencies, lang)
    active = [f for f in meeting.follow_ups if f.status in ("open", "in_progress")]
    return render(
        request, "meeting.html", user, status_code, m=meeting, puskesmas=puskesmas, agencies=agencies, names=names,
        editable=changeable, manages=manages, changeable=changeable, groups=groups, ticked=ticked,
        from_previous=from_previous, present=present, recorded=recorded, local_start=local,
        came_uninvited=sorted(present - set(meeting.invited_agency_ids)),
        notulen=(notulen or mf.stored_notulen(meeting, tz)).with_blanks() if changeable else None,
        attendees=attendees if attendees is not None else mf.attendance_table(
            agencies, meeting.invited_agency_ids, meeting.attendance),
        catalogue=catalogue, indicator_names=indicator_names, notice=notice, agenda_errors=agenda_errors or {},
        owner_count=len({f.owner_agency_id for f in active}), active_count=len(active),
        agency_kinds={a.id: a.kind for a in agencies}, blank_row=mf.RtlRow(index=0))


@router.get("/meetings/{meeting_id}")
@page
def meeting_page(request: Request, meeting_id: int, db: SessionDep, user):
    return _page(request, db, user, meeting_id)


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


# --- agenda --------------------------------------------------------------------------------------

AGENDA_FIELDS = {"title": ("Judul", "Title"), "presenter_agency_id": ("Pemapar", "Presenter"),
                 "indicator": ("Indikator", "Indicator"), "indicator_code": ("Indikator", "Indicator"),
                 "notes": ("Catatan", "Notes")}


def _agenda_message(exc: Exception, lang: str) -> str:
    fields = {code: pair[lang == "en"] for code, pair in AGENDA_FIELDS.items()}
    return sentences(exc, lang, fields)


def _agenda_failed(request, db, user, meeting_id: int, key: str, form, exc: Exception):
    """The page again (422) with what was typed in that agenda form and the sentence by its field."""
    lang = lang_of(request)
    typed = {name: str(form.get(name) or "") for name in ("title", "presenter_agency_id", "indicator", "notes")}
    errors = {("indicator" if f == "indicator_code" else f or "title"): s for f, s in field_errors(exc, lang).items()}
    return _page(request, db, user, meeting_id, status_code=422, notice=_agenda_message(exc, lang),
                 agenda_errors={"key": key, "typed": typed, "errors": errors})


@router.post("/meetings/{meeting_id}/agenda")
@action("/meetings/{meeting_id}")
def add_agenda(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    _ = translator(lang_of(request))
    try:
        body = mf.agenda_create(form, indicator_catalogue(request, user) if form.get("indicator") else [], _)
        minutes.add_agenda_item(db, user.principal, meeting_id, body)
    except (HTTPException, ValidationError) as exc:
        if isinstance(exc, HTTPException) and exc.status_code != 422:
            raise
        db.rollback()
        return _agenda_failed(request, db, user, meeting_id, "new", form, exc)
    return _("Agenda ditambahkan.", "Agenda item added.")


@router.post("/meetings/{meeting_id}/agenda/{item_id}")
@action("/meetings/{meeting_id}")
def edit_agenda(request: Request, form: FormDep, meeting_id: int, item_id: int, db: SessionDep, user):
    _ = translator(lang_of(request))
    item = next((a for a in meetings.get_meeting(db, user.principal, meeting_id).agenda if a.id == item_id), None)
    if item is None:
        raise HTTPException(404, _("Agenda itu sudah tidak ada.", "That agenda item is gone."))
    try:
        body = mf.agenda_patch(form, indicator_catalogue(request, user) if form.get("indicator") else [], item, _)
        minutes.update_agenda_item(db, user.principal, meeting_id, item_id, body)
    except (HTTPException, ValidationError) as exc:
        if isinstance(exc, HTTPException) and exc.status_code != 422:
            raise
        db.rollback()
        return _agenda_failed(request, db, user, meeting_id, str(item_id), form, exc)
    return _("Agenda diperbarui.", "Agenda item updated.")


@router.post("/meetings/{meeting_id}/agenda/{item_id}/delete")
@action("/meetings/{meeting_id}")
def remove_agenda(request: Request, form: FormDep, meeting_id: int, item_id: int, db: SessionDep, user):
    minutes.remove_agenda_item(db, user.principal, meeting_id, item_id)
    return translator(lang_of(request))("Agenda dihapus.", "Agenda item removed.")


# --- daftar hadir --------------------------------------------------------------------------------

@router.post("/meetings/{meeting_id}/attendance")
@action("/meetings/{meeting_id}")
def save_attendance(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """The whole daftar hadir from the table (PUT attendance replaces the list): a row with a name
    is kept, ticked or not; clearing the name removes it."""
    lang = lang_of(request)
    _ = translator(lang)
    meeting = minutes.writable_meeting(db, user.principal, meeting_id)
    invited = meetings.get_meeting(db, user.principal, meeting_id).invited_agency_ids
    rows = mf.typed_attendance(form, invited)
    body = mf.attendance_body(rows, lang)
    if body is not None:
        try:
            minutes.replace_attendance(db, user.principal, meeting.id, body)
        except HTTPException as exc:
            db.rollback()
            if exc.status_code != 422:
                raise
            by_index = {e["loc"][1]: e for e in exc.detail if isinstance(e, dict) and len(e.get("loc", [])) > 2}
            kept = [row for row in rows if row.person_name.strip()]
            for index, row in enumerate(kept):
                if index in by_index:
                    row.errors["agency"] = _("lembaga ini tidak ada di puskesmas ini",
                                             "this agency is not one of this puskesmas")
            body = None
    if body is None:
        return _page(request, db, user, meeting_id, attendees=rows, status_code=422,
                     notice=_("Daftar hadir belum disimpan: perbaiki yang bertanda merah. Semua isian tetap ada.",
                              "Attendance not saved yet: fix what is marked in red. Everything typed is still here."))
    came = sum(1 for row in body if row.present)
    return _(f"Daftar hadir disimpan: {came} hadir, {len(body)} tercatat.",
             f"Attendance saved: {came} present, {len(body)} recorded.")


# --- tindak lanjut minilok sebelumnya (carried over) ----------------------------------------------

def discussed_note(meeting_title: str, outcome: str) -> str:
    """The history note a carried-over follow-up gets: "Dibahas di Minilok Maret 2026: Sedang dikerjakan"."""
    return f"Dibahas di {meeting_title}: {labels.label('carry_over_outcome', outcome, 'id')}"


@router.post("/meetings/{meeting_id}/carried-over/{followup_id}")
@action("/meetings/{meeting_id}#carried-over")
def record_carried_over(request: Request, form: FormDep, meeting_id: int, followup_id: int, db: SessionDep, user):
    """One click on a row of "Tindak lanjut minilok sebelumnya": the status discussed at this
    meeting goes into the follow-up's history; "Sedang dikerjakan" is a progress note (an open
    follow-up becomes in progress), "Selesai" completes it, through the follow-up services."""
    _ = translator(lang_of(request))
    principal = user.principal
    meeting = meetings.meeting_for(db, principal, meeting_id)
    outcome = str(form.get("outcome") or "")
    if outcome not in labels.CARRY_OVER_OUTCOMES:
        raise unprocessable("status", _("pilih status yang dibahas", "choose the status discussed"))
    listed = {f.id: f for f in meetings.carried_over(db, principal, meeting)}
    if followup_id not in listed:
        raise unprocessable("status", _("RTL ini tidak lagi tertunda dari minilok sebelumnya",
                                        "this follow-up is no longer pending from an earlier meeting"))
    note = discussed_note(meeting.title, outcome)
    if outcome == "done":
        followups.complete_followup(db, principal, followup_id, CompleteIn(note=note))
    elif outcome == "in_progress":
        followups.report_progress(db, principal, followup_id, ProgressIn(note=note))
    else:
        followup_notes.add_note(db, principal, followup_id, NoteIn(note=note))
    word = labels.label("carry_over_outcome", outcome, lang_of(request))
    return _(f"Tercatat: “{listed[followup_id].title}” — {word}.", f"Recorded: “{listed[followup_id].title}” — {word}.")


# --- the notulen and its RTL rows ----------------------------------------------------------------

def _row_errors(exc: Exception, lang: str) -> dict[str, str]:
    return {ROW_FIELDS.get(field, field): sentence for field, sentence in field_errors(exc, lang).items()}


def _ask_past(row: mf.RtlRow, due_at, _) -> bool:
    """A due time already past is saved only once confirmed (it would escalate at the next scan)."""
    if due_at >= utcnow() or row.confirm_past:
        return False
    row.asks_past = True
    row.errors["due_date"] = _("Tenggat sudah lewat — tetap simpan? Centang “Ya, tetap simpan” lalu Simpan lagi.",
                               "The due date has passed — save anyway? Tick “Yes, save anyway” and Save again.")
    return True


@router.post("/meetings/{meeting_id}/notulen")
@action("/meetings/{meeting_id}")
def save_notulen(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """The notulen (summary, decisions) and every RTL row in one post. Each part is saved on its
    own: one that fails does not stop the others, and the page comes back (422) with everything
    typed and the sentence by the field; rows already saved come back as saved rows."""
    lang = lang_of(request)
    _ = translator(lang)
    principal = user.principal
    minutes.writable_meeting(db, principal, meeting_id)
    meeting = meetings.get_meeting(db, principal, meeting_id)
    tz = reads.puskesmas_by_id(db, meeting.puskesmas_id).timezone
    saved = {r.followup_id: r for r in mf.stored_notulen(meeting, tz).rows}
    typed = mf.typed_notulen(form)

    summary, decisions = mf.minutes_fields(typed)
    if summary.strip() or decisions or meeting.summary:
        try:
            minutes.record_minutes(db, principal, meeting_id, MinutesIn(summary=summary, decisions=decisions))
        except (HTTPException, ValidationError) as exc:
            db.rollback()
            typed.errors = field_errors(exc, lang)

    created = changed = dropped = 0
    kept = []
    for row in typed.rows:
        if row.is_blank or (row.followup_id is None and row.remove):
            continue
        try:
            if row.followup_id is not None:
                before = saved.get(row.followup_id)
                if before is None:
                    continue  # no longer on this meeting (removed or finished meanwhile)
                if row.remove:
                    followups.cancel_followup(db, principal, row.followup_id, ReasonIn(reason=minutes.REMOVED_REASON))
                    dropped += 1
                    continue
                patch, due = mf.followup_changes(row, before, _)
                if due is not None:
                    due_at = minutes.planned_due_at(db, principal, meeting_id, due)
                    if _ask_past(row, due_at, _):
                        kept.append(row)
                        continue
                    patch = FollowUpPatch(**(patch.model_dump(exclude_unset=True) if patch else {}), due_at=due_at)
                if patch is not None:
                    followups.patch_followup(db, principal, row.followup_id, patch)
                    changed += 1
            else:
                body = mf.new_followup(row, _)
                if _ask_past(row, minutes.planned_due_at(db, principal, meeting_id, body), _):
                    kept.append(row)
                    continue
                row.followup_id = followups.add_followup(db, principal, meeting_id, body).id
                created += 1
            row.confirm_past = False
        except (HTTPException, ValidationError) as exc:
            if isinstance(exc, HTTPException) and exc.status_code not in (404, 409, 422):
                raise
            db.rollback()
            row.errors.update(_row_errors(exc, lang))
        kept.append(row)
    typed.rows = kept

    done = []
    if not typed.errors and (summary.strip() or decisions):
        done.append(_("Notulen disimpan.", "Minutes saved."))
    for count, words in ((created, _("RTL ditambahkan", "follow-up(s) added")),
                         (changed, _("RTL diubah", "follow-up(s) changed")),
                         (dropped, _("RTL dihapus dari notulen", "follow-up(s) removed from the minutes"))):
        if count:
            done.append(f"{count} {words}.")
    failed = typed.errors or any(row.errors for row in typed.rows)
    if failed:
        notice = " ".join([*done, _("Belum semua tersimpan: perbaiki yang bertanda merah. Semua isian tetap ada.",
                                    "Not everything is saved yet: fix what is marked in red. "
                                    "Everything typed is still here.")])
        return _page(request, db, user, meeting_id, notulen=typed, notice=notice, status_code=422)
    return " ".join(done) or _("Tidak ada yang berubah.", "Nothing changed.")


@router.post("/meetings/{meeting_id}/publish")
@action("/meetings/{meeting_id}")
def publish(request: Request, form: FormDep, meeting_id: int, db: SessionDep, user):
    """Publishing locks the notulen: only after the confirmation box on the form is ticked."""
    _ = translator(lang_of(request))
    if form.get("confirm") != "1":
        return redirect(request, f"/meetings/{meeting_id}#publish",
                        _("Belum diterbitkan: centang konfirmasi dulu (setelah terbit, notulen tidak bisa diubah).",
                          "Not published: tick the confirmation first (once published the minutes are final)."),
                        "error")
    minutes.publish_minutes(db, user.principal, meeting_id)
    return _("Notulen diterbitkan.", "Minutes published.")


@router.get("/meetings/{meeting_id}/minutes.pdf")
@page
def minutes_pdf(request: Request, meeting_id: int, db: SessionDep, user):
    def names(codes: set[str]) -> dict[str, str]:
        return {i["code"]: i["name"] for i in indicator_catalogue(request, user) or [] if i["code"] in codes}

    return download(minutes.minutes_pdf(db, user.principal, meeting_id, names))


@router.get("/meetings/{meeting_id}/follow-ups.xlsx")
@page
def followups_xlsx(request: Request, meeting_id: int, db: SessionDep, user):
    return download(minutes.followups_xlsx(db, user.principal, meeting_id))
