"""One follow-up (`/follow-ups/{id}`): its details and history, and the forms that move it
(start, progress, complete, cancel, reopen)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from minilok_shared.deps import SessionDep

from minilok_meetings import models
from minilok_meetings.api import followups as followups_api
from minilok_meetings.minutes import agency_names
from minilok_meetings.web import forms
from minilok_meetings.web.forms import FormDep
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, page, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/follow-ups/{followup_id}")
@page
def followup_page(request: Request, followup_id: int, db: SessionDep, user):
    principal = user.principal
    followup = followups_api.fetch_followup(db, principal, followup_id)
    history = followups_api.followup_history(followup_id, db, principal, limit=200, cursor=None).items
    meeting = db.get(models.Meeting, followup.meeting_id)
    escalated_to = [a for h in history for a in (h.data or {}).get("escalated_to_agency_ids") or []]
    names = agency_names(db, [followup.owner_agency_id, *followup.supporting_agency_ids, *escalated_to])
    tz = db.get(models.Puskesmas, followup.puskesmas_id).timezone
    return render(request, "followup.html", user, f=followup, history=history, names=names, meeting=meeting, tz=tz,
                  can_manage=principal.is_admin or principal.puskesmas_id == str(followup.puskesmas_id),
                  is_owner=principal.agency_id == str(followup.owner_agency_id))


@router.post("/follow-ups/{followup_id}/{verb}")
@action("/follow-ups/{followup_id}")
def followup_action(request: Request, form: FormDep, followup_id: int, verb: str, db: SessionDep, user):
    principal = user.principal
    _ = translator(lang_of(request))
    if verb == "start":
        followups_api.start_followup(followup_id, db, principal)
        return _("Mulai dikerjakan.", "Started.")
    if verb == "progress":
        followups_api.post_progress(followup_id, forms.progress(form), db, principal)
        return _("Kemajuan dicatat.", "Progress recorded.")
    if verb == "complete":
        body = forms.completion(form)
        # Completing straight from "open" is two legal moves: start, then complete.
        if followups_api.fetch_followup(db, principal, followup_id).status == "open":
            followups_api.start_followup(followup_id, db, principal)
        followups_api.complete_followup(followup_id, body, db, principal)
        return _("Tindak lanjut selesai.", "Follow-up completed.")
    if verb in ("cancel", "reopen"):
        (followups_api.cancel_followup if verb == "cancel" else followups_api.reopen_followup)(
            followup_id, forms.reason(form), db, principal)
        return _("Status diubah.", "Status changed.")
    return redirect(request, f"/follow-ups/{followup_id}", _("Aksi tidak dikenal.", "Unknown action."), "error")
