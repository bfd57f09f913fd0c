"""A meeting's notulen: agenda, daftar hadir, minutes, publishing, and the content of its PDF and XLSX.

The reads take one query per table, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import conflict, not_found, unprocessable
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_meetings.documents import PDF, XLSX, Document
from minilok_meetings.documents.content import AgendaRow, AttendanceRow, CarriedOverRow, FollowUpRow, MinutesContent
from minilok_meetings.documents.followups_xlsx import render_followups_xlsx
from minilok_meetings.documents.minutes_pdf import render_minutes_pdf
from minilok_meetings.domain.followup import is_overdue, resolve_due_at
from minilok_meetings.events import emit_meeting_event
from minilok_meetings.schemas import AgendaItemCreate, AgendaItemPatch, AttendanceIn, FollowUpCreate, MinutesIn
from minilok_meetings.service_layer import reminders
from minilok_meetings.service_layer.agencies import agency_names, usable_agency_ids
from minilok_meetings.service_layer.evidence import evidence_of
from minilok_meetings.service_layer.meetings import (
    agenda_of,
    attendance_of,
    carried_over,
    meeting_for,
    readable_meeting,
)

# A follow-up taken off the notulen before publishing is cancelled with this reason (its owner may
# have heard of it already, so it must not vanish without a word); it then leaves the meeting's lists.
REMOVED_REASON = "Dihapus dari notulen sebelum terbit"


def removed_from_minutes(session: Session, followups) -> set[int]:
    """Which of these follow-ups were taken off the notulen (cancelled with REMOVED_REASON)."""
    cancelled = [f.id for f in followups if f.status == "cancelled"]
    if not cancelled:
        return set()
    rows = session.scalars(select(models.FollowUpHistory).where(
        models.FollowUpHistory.followup_id.in_(cancelled), models.FollowUpHistory.kind == "cancel")
        .order_by(models.FollowUpHistory.id))
    last = {row.followup_id: (row.data or {}).get("reason") for row in rows}
    return {followup_id for followup_id, reason in last.items() if reason == REMOVED_REASON}


def next_agenda_position(session: Session, meeting_id: int) -> int:
    last = session.scalar(select(func.max(models.AgendaItem.position))
                          .where(models.AgendaItem.meeting_id == meeting_id))
    return 1 if last is None else last + 1


IndicatorNames = Callable[[set[str]], dict[str, str]]


def load_minutes_content(session: Session, meeting: models.Meeting,
                         indicator_names: IndicatorNames | None = None,
                         principal: Principal | None = None) -> MinutesContent:
    """What the PDF and XLSX show; `indicator_names` (codes → {code: name}, read from the indicators
    service's catalogue) names the agenda's indicators in words, asked only when there are some."""
    puskesmas = session.get(models.Puskesmas, meeting.puskesmas_id)
    agenda = agenda_of(session, meeting.id)
    attendance = attendance_of(session, meeting.id)
    followups = list(session.scalars(select(models.FollowUp).where(models.FollowUp.meeting_id == meeting.id)
                                     .order_by(models.FollowUp.id)))
    removed = removed_from_minutes(session, followups)
    followups = [f for f in followups if f.id not in removed]
    names = agency_names(session, [
        *(a.presenter_agency_id for a in agenda),
        *(a.agency_id for a in attendance),
        *(f.owner_agency_id for f in followups),
        *(s for f in followups for s in f.supporting_agency_ids),
    ])
    evidence = evidence_of(session, [f.id for f in followups])
    codes = {a.indicator_code for a in agenda if a.indicator_code}
    indicators = indicator_names(codes) if codes and indicator_names else {}
    none = ([], 0)
    now = utcnow()
    earlier = carried_over(session, principal, meeting) if principal is not None else []
    invited = set(session.scalars(select(models.MeetingInvitation.agency_id)
                                  .where(models.MeetingInvitation.meeting_id == meeting.id)))
    camat = session.scalar(select(models.Agency.name).where(
        models.Agency.kind == "kecamatan", models.Agency.id.in_(invited | {a.agency_id for a in attendance}))
        .order_by(models.Agency.id).limit(1)) if meeting.kind == "quarterly_cross_sector" else None
    return MinutesContent(
        meeting_id=meeting.id, title=meeting.title, kind=meeting.kind, puskesmas=puskesmas.name, kota=puskesmas.kota,
        provinsi=puskesmas.provinsi, timezone=puskesmas.timezone, scheduled_at=meeting.scheduled_at,
        status=meeting.status, location=meeting.location, published_at=meeting.published_at, summary=meeting.summary,
        decisions=list(meeting.decisions or []),
        agenda=[AgendaRow(title=a.title, presenter=names.get(a.presenter_agency_id), indicator_code=a.indicator_code,
                          notes=a.notes, indicator_name=indicators.get(a.indicator_code or ""))
                for a in agenda],
        attendance=[AttendanceRow(person_name=a.person_name, agency=names.get(a.agency_id, str(a.agency_id)),
                                  role=a.role, present=a.present) for a in attendance],
        followups=[FollowUpRow(
            title=f.title, owner=names.get(f.owner_agency_id, str(f.owner_agency_id)), due_at=f.due_at,
            status=f.status, is_overdue=is_overdue(f.status, f.due_at, now), problem=f.problem, action=f.action,
            supporters=[names.get(s, str(s)) for s in f.supporting_agency_ids], priority=f.priority,
            escalation_level=f.escalation_level, evidence=evidence.get(f.id, none)[0],
            more_evidence=evidence.get(f.id, none)[1], objective=f.objective, target_group=f.target_group,
            location=f.location, success_indicator=f.success_indicator, cost_estimate=f.cost_estimate,
            funding_source=f.funding_source,
        ) for f in followups],
        carried_over=[CarriedOverRow(title=c.title, owner=c.owner_name or str(c.owner_agency_id),
                                     meeting_title=c.meeting_title, due_at=c.due_at, status=c.status,
                                     is_overdue=c.is_overdue, days_late=c.days_late) for c in earlier],
        head_name=puskesmas.head_name, camat=camat,
    )


# --- changes ---------------------------------------------------------------------------------

def _agency_error(loc: list, agency_id: int) -> dict:
    return {"loc": loc, "msg": f"lembaga {agency_id} tidak ada di puskesmas ini / agency not found for this puskesmas",
            "type": "value_error"}


def writable_meeting(session: Session, principal: Principal, meeting_id: int) -> models.Meeting:
    """The meeting, if `principal` manages it and its minutes are not published yet."""
    meeting = meeting_for(session, principal, meeting_id)
    if meeting.status == "published":
        raise conflict(f"Notulen rapat {meeting_id} sudah diterbitkan / the minutes are already published")
    if meeting.status == "cancelled":
        raise conflict(f"Rapat {meeting_id} sudah dibatalkan / the meeting is cancelled")
    return meeting


def add_agenda_item(session: Session, principal: Principal, meeting_id: int,
                    body: AgendaItemCreate) -> models.AgendaItem:
    meeting = writable_meeting(session, principal, meeting_id)
    presenter = body.presenter_agency_id
    if presenter is not None and not usable_agency_ids(session, [presenter], meeting.puskesmas_id):
        raise HTTPException(422, [_agency_error(["body", "presenter_agency_id"], presenter)])
    item = models.AgendaItem(meeting_id=meeting.id, position=next_agenda_position(session, meeting.id),
                             **body.model_dump())
    session.add(item)
    session.commit()
    return item


def _agenda_item(session: Session, meeting: models.Meeting, item_id: int) -> models.AgendaItem:
    item = session.get(models.AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise not_found("Agenda / agenda item", item_id)
    return item


def update_agenda_item(session: Session, principal: Principal, meeting_id: int, item_id: int,
                       body: AgendaItemPatch) -> models.AgendaItem:
    """Retitle an agenda item, change its presenter, indicator or notes (null clears one) until publishing."""
    meeting = writable_meeting(session, principal, meeting_id)
    item = _agenda_item(session, meeting, item_id)
    changes = body.model_dump(exclude_unset=True)
    if "title" in changes and not changes["title"]:
        raise unprocessable("title", "judul agenda wajib diisi / the agenda item needs a title")
    presenter = changes.get("presenter_agency_id")
    if presenter is not None and not usable_agency_ids(session, [presenter], meeting.puskesmas_id):
        raise HTTPException(422, [_agency_error(["body", "presenter_agency_id"], presenter)])
    for field, value in changes.items():
        setattr(item, field, value)
    session.commit()
    return item


def remove_agenda_item(session: Session, principal: Principal, meeting_id: int, item_id: int) -> None:
    """Take an item off the agenda until publishing; an item accepted from a proposal puts the
    proposal (and its twins accepted with it: same indicator, area and period) back on offer."""
    meeting = writable_meeting(session, principal, meeting_id)
    item = _agenda_item(session, meeting, item_id)
    proposal = session.get(models.Proposal, item.proposal_id) if item.proposal_id is not None else None
    if proposal is not None:
        P = models.Proposal
        session.execute(update(P).where(
            P.puskesmas_id == proposal.puskesmas_id, P.indicator_code == proposal.indicator_code,
            P.area_code == proposal.area_code, P.period == proposal.period, P.meeting_id == meeting.id,
            P.status == "accepted").values(status="proposed", meeting_id=None))
    session.delete(item)
    session.commit()


def planned_due_at(session: Session, principal: Principal, meeting_id: int, body: FollowUpCreate):
    """When a follow-up of this meeting would fall due (working days count from the meeting's
    date), without creating it: the meeting page asks before saving a due time already past."""
    meeting = meeting_for(session, principal, meeting_id)
    ctx = reminders.load_contexts(session, {meeting.puskesmas_id})[meeting.puskesmas_id]
    return resolve_due_at(tz=ctx.timezone, counted_from=meeting.scheduled_at, calendar=ctx.calendar,
                          due_date=body.due_date, due_at=body.due_at, due_in_working_days=body.due_in_working_days)


def replace_attendance(session: Session, principal: Principal, meeting_id: int,
                       rows: list[AttendanceIn]) -> list[models.Attendance]:
    """Replace the whole daftar hadir of a meeting (an empty list clears it)."""
    meeting = writable_meeting(session, principal, meeting_id)
    usable = usable_agency_ids(session, {row.agency_id for row in rows}, meeting.puskesmas_id)
    errors = [_agency_error(["body", index, "agency_id"], row.agency_id)
              for index, row in enumerate(rows) if row.agency_id not in usable]
    if errors:
        raise HTTPException(422, errors)
    session.execute(delete(models.Attendance).where(models.Attendance.meeting_id == meeting.id))
    session.add_all(models.Attendance(meeting_id=meeting.id, **row.model_dump()) for row in rows)
    session.commit()
    return attendance_of(session, meeting.id)


def record_minutes(session: Session, principal: Principal, meeting_id: int, body: MinutesIn) -> models.Meeting:
    """Write (or rewrite) the summary and decisions; they are final once published."""
    meeting = writable_meeting(session, principal, meeting_id)
    meeting.summary, meeting.decisions = body.summary, list(body.decisions)
    session.commit()
    return meeting


def publish_minutes(session: Session, principal: Principal, meeting_id: int) -> models.Meeting:
    meeting = writable_meeting(session, principal, meeting_id)
    if not meeting.summary:
        raise conflict(f"Rapat {meeting_id} belum punya notulen / record the minutes before publishing")
    # A conditional update, so that two concurrent publishes emit the event once.
    published = session.execute(
        update(models.Meeting)
        .where(models.Meeting.id == meeting.id, models.Meeting.status == "scheduled")
        .values(status="published", published_at=utcnow())
    )
    if published.rowcount != 1:
        session.rollback()
        raise conflict(f"Rapat {meeting_id} sudah diterbitkan atau dibatalkan / "
                       "the meeting was published or cancelled meanwhile")
    session.refresh(meeting)
    emit_meeting_event(session, "meeting.minutes_published", meeting)
    session.commit()
    return meeting


# --- documents -------------------------------------------------------------------------------

def _file_stem(content: MinutesContent) -> str:
    """ASCII only, so the header needs no encoding: "<meeting id>-<local meeting date>"."""
    day = content.scheduled_at.astimezone(ZoneInfo(content.timezone)).date()
    return f"{content.meeting_id}-{day.isoformat()}"


def minutes_pdf(session: Session, principal: Principal, meeting_id: int,
                indicator_names: IndicatorNames | None = None) -> Document:
    """The notulen as a PDF."""
    content = load_minutes_content(session, readable_meeting(session, principal, meeting_id), indicator_names,
                                   principal)
    return Document(render_minutes_pdf(content), PDF, f"notulen-lokmin-{_file_stem(content)}.pdf")


def followups_xlsx(session: Session, principal: Principal, meeting_id: int) -> Document:
    """The rencana tindak lanjut (the meeting's follow-ups) as a spreadsheet."""
    content = load_minutes_content(session, readable_meeting(session, principal, meeting_id))
    return Document(render_followups_xlsx(content), XLSX, f"rtl-lokmin-{_file_stem(content)}.xlsx")
