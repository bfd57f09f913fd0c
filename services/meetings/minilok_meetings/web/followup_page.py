"""One follow-up (`/follow-ups/{id}`): its details, history and next reminder, and the forms that
move it (acknowledge, start, progress, complete, ask for more time, cancel, reopen) or decide on
a pending extension request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep

from minilok_meetings.domain.calendar import end_of_local_day
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.events import Names
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import extensions, followup_reads, followups
from minilok_meetings.service_layer.agencies import agency_names
from minilok_meetings.web import forms
from minilok_meetings.web.forms import FormDep
from minilok_meetings.web.i18n import actor_label, lang_of, translator
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
    # A request left pending when the work was finished has nothing left to decide.
    extension = extensions.pending_for(db, [followup.id]).get(followup.id) if followup.status in ACTIVE else None
    actors = Names(agencies=dict(names)).load(
        db, actors=[h.actor for h in history] + ([extension.requested_by] if extension else []))
    lang = lang_of(request)
    tz = reads.timezone_of(db, followup.puskesmas_id)
    # Whom the last escalation reached, by name (the badge says "diteruskan (tingkat 2): ...").
    last = next(((h.data or {}).get("escalated_to_agency_ids") or [] for h in reversed(history)
                 if h.kind == "escalated"), [])
    return render(request, "followup.html", user, f=followup, history=history, names=names, meeting=meeting, tz=tz,
                  can_manage=principal.is_admin or principal.puskesmas_id == str(followup.puskesmas_id),
                  is_owner=principal.agency_id == str(followup.owner_agency_id),
                  extension=extension, extension_due=end_of_local_day(extension.due_date, tz) if extension else None,
                  escalated_names=[names[a] for a in last if a in names],
                  held=followup.paused_until is not None and followup.paused_until > utcnow(),
                  actor=lambda a: actor_label(a, actors.actor_name(a), lang))


@router.post("/follow-ups/{followup_id}/{verb}")
@action("/follow-ups/{followup_id}")
def followup_action(request: Request, form: FormDep, followup_id: int, verb: str, db: SessionDep, user):
    principal = user.principal
    _ = translator(lang_of(request))
    if verb == "acknowledge":
        followups.acknowledge_followup(db, principal, followup_id, forms.acknowledgement(form))
        return _("Diterima. Eskalasi ditahan sementara.", "Acknowledged. Escalation is held back for now.")
    if verb == "start":
        followups.start_followup(db, principal, followup_id)
        return _("Mulai dikerjakan.", "Started.")
    if verb == "progress":
        followups.report_progress(db, principal, followup_id, forms.progress(form))
        return _("Kemajuan dicatat.", "Progress recorded.")
    if verb == "complete":
        followups.complete_followup(db, principal, followup_id, forms.completion(form))
        return _("Tindak lanjut selesai.", "Follow-up completed.")
    if verb == "extend":
        extensions.request_extension(db, principal, followup_id, forms.extension_request(form, _))
        return _("Permintaan perpanjangan dikirim ke puskesmas.", "Extension request sent to the puskesmas.")
    if verb in ("cancel", "reopen"):
        move = followups.cancel_followup if verb == "cancel" else followups.reopen_followup
        move(db, principal, followup_id, forms.reason(form))
        return _("Status diubah.", "Status changed.")
    return redirect(request, f"/follow-ups/{followup_id}", _("Aksi tidak dikenal.", "Unknown action."), "error")


@router.post("/extension-requests/{request_id}/{verb}")
@action("/board")
def extension_decision(request: Request, form: FormDep, request_id: int, verb: str, db: SessionDep, user):
    """Setujui / Tolak, one click each; back to the follow-up (the form's `next`)."""
    _ = translator(lang_of(request))
    if verb == "approve":
        extensions.approve_extension(db, user.principal, request_id, forms.extension_decision(form))
        return _("Perpanjangan disetujui; tenggat dan pengingat diperbarui.",
                 "Extension approved; due date and reminders updated.")
    if verb == "refuse":
        extensions.refuse_extension(db, user.principal, request_id, forms.extension_decision(form))
        return _("Perpanjangan ditolak; penanggung jawab diberi tahu.", "Extension refused; the owner is told.")
    return redirect(request, "/board", _("Aksi tidak dikenal.", "Unknown action."), "error")
