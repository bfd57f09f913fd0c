"""Queries about a meeting's notulen (agenda, daftar hadir, follow-ups), shared by the meeting
detail and the documents. One query per table, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_meetings.documents.content import AgendaRow, AttendanceRow, FollowUpRow, MinutesContent
from minilok_meetings.domain.followup import is_overdue
from minilok_shared.db import utcnow


def agenda_of(session: Session, meeting_id: int) -> list[models.AgendaItem]:
    return list(session.scalars(select(models.AgendaItem).where(models.AgendaItem.meeting_id == meeting_id)
                                .order_by(models.AgendaItem.position, models.AgendaItem.id)))


def attendance_of(session: Session, meeting_id: int) -> list[models.Attendance]:
    return list(session.scalars(select(models.Attendance).where(models.Attendance.meeting_id == meeting_id)
                                .order_by(models.Attendance.id)))


def next_agenda_position(session: Session, meeting_id: int) -> int:
    last = session.scalar(select(func.max(models.AgendaItem.position))
                          .where(models.AgendaItem.meeting_id == meeting_id))
    return 1 if last is None else last + 1


def agency_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(models.Agency.id, models.Agency.name).where(models.Agency.id.in_(wanted))).all())


def usable_agency_ids(session: Session, ids: Iterable[int], puskesmas_id: int) -> set[int]:
    """Those of `ids` that exist and belong to this puskesmas or to none (dinas, BPJS...)."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = session.execute(select(models.Agency.id, models.Agency.puskesmas_id).where(models.Agency.id.in_(wanted)))
    return {agency_id for agency_id, owner in rows if owner is None or owner == puskesmas_id}


def load_minutes_content(session: Session, meeting: models.Meeting) -> MinutesContent:
    puskesmas = session.get(models.Puskesmas, meeting.puskesmas_id)
    agenda = agenda_of(session, meeting.id)
    attendance = attendance_of(session, meeting.id)
    followups = list(session.scalars(select(models.FollowUp).where(models.FollowUp.meeting_id == meeting.id)
                                     .order_by(models.FollowUp.id)))
    names = agency_names(session, [
        *(a.presenter_agency_id for a in agenda),
        *(a.agency_id for a in attendance),
        *(f.owner_agency_id for f in followups),
        *(s for f in followups for s in f.supporting_agency_ids),
    ])
    now = utcnow()
    return MinutesContent(
        meeting_id=meeting.id, title=meeting.title, kind=meeting.kind, puskesmas=puskesmas.name, kota=puskesmas.kota,
        provinsi=puskesmas.provinsi, timezone=puskesmas.timezone, scheduled_at=meeting.scheduled_at,
        status=meeting.status, location=meeting.location, published_at=meeting.published_at, summary=meeting.summary,
        decisions=list(meeting.decisions or []),
        agenda=[AgendaRow(title=a.title, presenter=names.get(a.presenter_agency_id), indicator_code=a.indicator_code,
                          notes=a.notes) for a in agenda],
        attendance=[AttendanceRow(person_name=a.person_name, agency=names.get(a.agency_id, str(a.agency_id)),
                                  role=a.role, present=a.present) for a in attendance],
        followups=[FollowUpRow(
            title=f.title, owner=names.get(f.owner_agency_id, str(f.owner_agency_id)), due_at=f.due_at,
            status=f.status, is_overdue=is_overdue(f.status, f.due_at, now), problem=f.problem, action=f.action,
            supporters=[names.get(s, str(s)) for s in f.supporting_agency_ids], priority=f.priority,
            escalation_level=f.escalation_level,
        ) for f in followups],
    )
