"""One follow-up (`/follow-ups/{id}`): its details and history, and the forms that move it
(start, progress, complete, cancel, reopen)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from minilok_shared.deps import SessionDep

from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import followup_reads, followups
from minilok_meetings.service_layer.agencies import agency_names
from minilok_meetings.web import forms
from minilok_meetings.web.forms import FormDep
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, page, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/follow-ups/{followup_id}")
@page
def followup_page(request: Request, followup_id: int, db: SessionDep, user):
    principal = user.principal
    followup = followup_reads.fetch_followup(db, principal, followup_id)
    history = followup_reads.followup_history(db, principal, followup_id, limit=200).items
    meeting = reads.meeting_by_id(db, followup.meeting_id)
    escalated_to = [a for h in history for a in (h.data or {}).get("escalated_to_agency_ids") or []]
    names = agency_names(db, [followup.owner_agency_id, *followup.supporting_agency_ids, *escalated_to])
    tz = reads.timezone_of(db, followup.puskesmas_id)
    return render(request, "followup.html", user, f=followup, history=history, names=names, meeting=meeting, tz=tz,
                  can_manage=principal.is_admin or principal.puskesmas_id == str(followup.puskesmas_id),
                  is_owner=principal.agency_id == str(followup.owner_agency_id))


@router.post("/follow-ups/{followup_id}/{verb}")
@action("/follow-ups/{followup_id}")
def followup_action(request: Request, form: FormDep, followup_id: int, verb: str, db: SessionDep, user):
    principal = user.principal
    _ = translator(lang_of(request))
    if verb == "start":
        followups.start_followup(db, principal, followup_id)
        return _("Mulai dikerjakan.", "Started.")
    if verb == "progress":
        followups.report_progress(db, principal, followup_id, forms.progress(form))
        return _("Kemajuan dicatat.", "Progress recorded.")
    if verb == "complete":
        followups.complete_followup(db, principal, followup_id, forms.completion(form))
        return _("Tindak lanjut selesai.", "Follow-up completed.")
    if verb in ("cancel", "reopen"):
        move = followups.cancel_followup if verb == "cancel" else followups.reopen_followup
        move(db, principal, followup_id, forms.reason(form))
        return _("Status diubah.", "Status changed.")
    return redirect(request, f"/follow-ups/{followup_id}", _("Aksi tidak dikenal.", "Unknown action."), "error")
