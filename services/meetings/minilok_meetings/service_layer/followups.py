"""Changing follow-ups: create, patch, acknowledge, and the status moves (start, progress, complete,
cancel, reopen)."""

from __future__ import annotations

from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import conflict, not_found, unprocessable

from minilok_meetings import models
from minilok_meetings.access import check_owner_or_manager, check_progress_reporter, check_puskesmas
from minilok_meetings.domain.calendar import end_of_local_day
from minilok_meetings.domain.followup import ACTIVE, IllegalTransition, next_status, resolve_due_at
from minilok_meetings.events import emit_followup_event
from minilok_meetings.schemas import (
    RTL_FIELDS,
    AcknowledgeIn,
    CompleteIn,
    FollowUpCreate,
    FollowUpOut,
    FollowUpPatch,
    ProgressIn,
    ReasonIn,
)
from minilok_meetings.service_layer import reminders
from minilok_meetings.service_layer.agencies import usable_agency_ids
from minilok_meetings.service_layer.evidence import check_evidence_ids
from minilok_meetings.service_layer.followup_reads import followups_out, load_followup


def check_agencies(session, puskesmas_id: int, *fields: tuple[str, int]) -> None:
    """Each (field, agency id) names an agency of this puskesmas, or one shared by all (one query);
    the first that does not is the 422's field."""
    usable = usable_agency_ids(session, (agency_id for _, agency_id in fields), puskesmas_id)
    for field, agency_id in fields:
        if agency_id not in usable:
            raise unprocessable(field, f"lembaga {agency_id} tidak ada di puskesmas ini / "
                                       "agency not found for this puskesmas")


def add_followup(session, principal: Principal, meeting_id: int, body: FollowUpCreate) -> FollowUpOut:
    """A new follow-up of a meeting, its reminders scheduled, `followup.created` emitted."""
    meeting = session.get(models.Meeting, meeting_id)
    if meeting is None:
        raise not_found("Rapat / meeting", meeting_id)
    check_puskesmas(principal, meeting.puskesmas_id)
    puskesmas_id = meeting.puskesmas_id
    supporters = list(dict.fromkeys(body.supporting_agency_ids))
    check_agencies(session, puskesmas_id, ("owner_agency_id", body.owner_agency_id),
                   *(("supporting_agency_ids", a) for a in supporters))
    ctx = reminders.load_contexts(session, {puskesmas_id})[puskesmas_id]
    due_at = resolve_due_at(
        tz=ctx.timezone, counted_from=meeting.scheduled_at, calendar=ctx.calendar,
        due_date=body.due_date, due_at=body.due_at, due_in_working_days=body.due_in_working_days,
    )
    followup = models.FollowUp(
        meeting_id=meeting.id, puskesmas_id=puskesmas_id, title=body.title, action=body.action,
        problem=body.problem, owner_agency_id=body.owner_agency_id, due_at=due_at,
        area_code=body.area_code or None, indicator_code=body.indicator_code, priority=body.priority,
        status="open", escalation_level=0, reminder_stage=0, percent=0,
        supporters=[models.FollowUpSupporter(agency_id=a) for a in supporters],
        **{name: _blank_as_none(getattr(body, name)) for name in RTL_FIELDS},
    )
    reminders.schedule(followup, ctx)
    session.add(followup)
    session.flush()
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="created",
                                       data={"status": "open", "due_at": due_at.isoformat(),
                                             **{name: getattr(followup, name) for name in RTL_FIELDS
                                                if getattr(followup, name) is not None}}))
    emit_followup_event(session, "followup.created", followup, actor=principal.subject)
    session.commit()
    return followups_out(session, [followup], {puskesmas_id: ctx.timezone})[0]


def _blank_as_none(value):
    return None if value == "" else value


EVENT_FOR_ACTION = {"start": "followup.updated", "complete": "followup.completed", "cancel": "followup.cancelled",
                    "reopen": "followup.reopened"}


def _move(session, principal: Principal, followup: models.FollowUp, action: str, data: dict) -> FollowUpOut:
    """Apply one status-machine move, record it and emit its event, in one transaction."""
    previous = followup.status
    try:
        followup.status = next_status(previous, action)
    except IllegalTransition as exc:
        raise conflict(str(exc)) from exc
    now = utcnow()
    if followup.status == "done":
        followup.completed_at = now
        followup.percent = 100
    elif action == "reopen":
        followup.completed_at = None
    ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
    reminders.schedule(followup, ctx)  # done or cancelled: nothing more fires; reopened: resumes
    followup.updated_at = now
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind=action,
                                       data={"from": previous, "to": followup.status, **data}))
    emit_followup_event(session, EVENT_FOR_ACTION[action], followup, previous_status=previous,
                        actor=principal.subject)
    session.commit()
    return followups_out(session, [followup])[0]


def start_followup(session, principal: Principal, followup_id: int) -> FollowUpOut:
    followup = load_followup(session, followup_id, for_update=True)
    check_owner_or_manager(principal, followup)
    return _move(session, principal, followup, "start", {})


def _only_supporting(principal: Principal, followup: models.FollowUp) -> bool:
    return principal.role == "agency" and principal.agency_id != str(followup.owner_agency_id)


def report_progress(session, principal: Principal, followup_id: int, body: ProgressIn) -> FollowUpOut:
    """A progress note (and percent, and linked evidence) on an active follow-up, `followup.progressed`.
    From the owner side (the owner, its puskesmas, an admin) an open follow-up becomes in progress
    and escalation beyond the owner is held back (policy `progress_pause`); a supporting agency's
    note is only a note: it moves nothing and holds nothing back."""
    followup = load_followup(session, followup_id, for_update=True)
    check_progress_reporter(principal, followup, body.percent)
    if followup.status not in ACTIVE:
        raise conflict(f"Tindak lanjut berstatus {followup.status}; laporan kemajuan hanya untuk yang aktif / "
                       f"progress only on open or in-progress follow-ups")
    evidence_ids = check_evidence_ids(session, followup.id, body.evidence_ids)
    previous = followup.status
    now = utcnow()
    if not _only_supporting(principal, followup):
        if previous == "open":
            followup.status = "in_progress"  # reporting progress means the work has started
        if body.percent is not None:
            followup.percent = body.percent
        ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
        reminders.hold(followup, ctx, now)
    followup.updated_at = now
    data = {**body.model_dump(exclude_none=True, exclude={"evidence_ids"}), "evidence_ids": evidence_ids}
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="progress", data=data))
    emit_followup_event(session, "followup.progressed", followup,
                        previous_status=previous if previous != followup.status else None, actor=principal.subject,
                        progress=data)
    session.commit()
    return followups_out(session, [followup])[0]


def complete_followup(session, principal: Principal, followup_id: int, body: CompleteIn) -> FollowUpOut:
    """Done, from open or in progress (a one-tap "Selesai"), with the evidence it links."""
    followup = load_followup(session, followup_id, for_update=True)
    check_owner_or_manager(principal, followup)
    evidence_ids = check_evidence_ids(session, followup.id, body.evidence_ids)
    data = {**body.model_dump(exclude_none=True, exclude={"evidence_ids"}), "evidence_ids": evidence_ids}
    return _move(session, principal, followup, "complete", data)


def acknowledge_followup(session, principal: Principal, followup_id: int, body: AcknowledgeIn) -> FollowUpOut:
    """The owner says "Diterima": `acknowledged_at` set, escalation beyond the owner held back
    (policy `progress_pause`), `followup.acknowledged`. Only while the follow-up is active."""
    followup = record_acknowledgement(session, principal, followup_id, body)
    session.commit()
    return followups_out(session, [followup])[0]


def record_acknowledgement(session, principal: Principal, followup_id: int, body: AcknowledgeIn) -> models.FollowUp:
    """`acknowledge_followup` inside the caller's transaction (an event handler's, with its inbox row)."""
    followup = load_followup(session, followup_id, for_update=True)
    check_owner_or_manager(principal, followup)
    if followup.status not in ACTIVE:
        raise conflict(f"Tindak lanjut berstatus {followup.status}; hanya yang aktif dapat diterima / "
                       f"only an open or in-progress follow-up can be acknowledged")
    now = utcnow()
    followup.acknowledged_at = now
    ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
    reminders.hold(followup, ctx, now)
    followup.updated_at = now
    data = body.model_dump(exclude_none=True)
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="acknowledged",
                                       data=data))
    emit_followup_event(session, "followup.acknowledged", followup, actor=principal.subject, note=data.get("note"))
    return followup


def cancel_followup(session, principal: Principal, followup_id: int, body: ReasonIn) -> FollowUpOut:
    followup = load_followup(session, followup_id, for_update=True)
    check_puskesmas(principal, followup.puskesmas_id)
    return _move(session, principal, followup, "cancel", body.model_dump())


def reopen_followup(session, principal: Principal, followup_id: int, body: ReasonIn) -> FollowUpOut:
    followup = load_followup(session, followup_id, for_update=True)
    check_puskesmas(principal, followup.puskesmas_id)
    return _move(session, principal, followup, "reopen", body.model_dump())


def patch_followup(session, principal: Principal, followup_id: int, body: FollowUpPatch) -> FollowUpOut:
    """Retitle, reassign, reprioritise or reschedule (rescheduling restarts reminders and escalation)."""
    followup = load_followup(session, followup_id, for_update=True)
    check_puskesmas(principal, followup.puskesmas_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    # The RTL columns are optional: given as null (or blank) they are cleared.
    rtl = {name: _blank_as_none(getattr(body, name)) for name in RTL_FIELDS if name in body.model_fields_set}
    changes.update(rtl)
    if not changes:
        raise unprocessable("body", "tidak ada perubahan / nothing to change")
    ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
    before = {"due_at": followup.due_at.isoformat(), "owner_agency_id": followup.owner_agency_id,
              "priority": followup.priority, "title": followup.title,
              **{name: getattr(followup, name) for name in RTL_FIELDS}}
    for name, value in rtl.items():
        setattr(followup, name, value)
    if "owner_agency_id" in changes:
        check_agencies(session, followup.puskesmas_id, ("owner_agency_id", body.owner_agency_id))
        followup.owner_agency_id = body.owner_agency_id
    if "priority" in changes:
        followup.priority = body.priority
    if "title" in changes:
        followup.title = body.title
    if "action" in changes:
        followup.action = body.action or None
    if "supporting_agency_ids" in changes:
        supporters = list(dict.fromkeys(body.supporting_agency_ids))
        check_agencies(session, followup.puskesmas_id, *(("supporting_agency_ids", a) for a in supporters))
        followup.supporters = [models.FollowUpSupporter(agency_id=a) for a in supporters]
    new_due = body.due_at or (end_of_local_day(body.due_date, ctx.timezone) if body.due_date else None)
    if new_due is not None:
        followup.due_at = new_due
        reminders.reset(followup, ctx)
    followup.updated_at = utcnow()
    after = {"due_at": followup.due_at.isoformat(), "owner_agency_id": followup.owner_agency_id,
             "priority": followup.priority, "title": followup.title,
             **{name: getattr(followup, name) for name in RTL_FIELDS}}
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="updated",
                                       data={"before": {k: v for k, v in before.items() if after[k] != v},
                                             "after": {k: v for k, v in after.items() if before[k] != v}}))
    emit_followup_event(session, "followup.updated", followup, actor=principal.subject)
    session.commit()
    return followups_out(session, [followup])[0]
