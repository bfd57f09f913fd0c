"""Meetings: schedule one, list them, and one meeting with its agenda, daftar hadir and follow-ups."""

from __future__ import annotations

from datetime import datetime

from minilok_shared.auth import Principal
from minilok_shared.errors import not_found, unprocessable
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import select

from minilok_meetings import models
from minilok_meetings.access import check_puskesmas, check_read_puskesmas, puskesmas_in_area
from minilok_meetings.events import emit_meeting_event
from minilok_meetings.schemas import AgendaItemOut, AttendanceOut, MeetingCreate, MeetingDetail, MeetingOut
from minilok_meetings.service_layer.followup_reads import followups_out


def agenda_of(session, meeting_id: int) -> list[models.AgendaItem]:
    return list(session.scalars(select(models.AgendaItem).where(models.AgendaItem.meeting_id == meeting_id)
                                .order_by(models.AgendaItem.position, models.AgendaItem.id)))


def attendance_of(session, meeting_id: int) -> list[models.Attendance]:
    return list(session.scalars(select(models.Attendance).where(models.Attendance.meeting_id == meeting_id)
                                .order_by(models.Attendance.id)))


def meeting_for(session, principal: Principal, meeting_id: int) -> models.Meeting:
    """The meeting, if `principal` manages its puskesmas."""
    meeting = session.get(models.Meeting, meeting_id)
    if meeting is None:
        raise not_found("Rapat / meeting", meeting_id)
    check_puskesmas(principal, meeting.puskesmas_id)
    return meeting


def readable_meeting(session, principal: Principal, meeting_id: int) -> models.Meeting:
    """The meeting, if `principal` manages its puskesmas or is a dinas over it (reads only)."""
    meeting = session.get(models.Meeting, meeting_id)
    if meeting is None:
        raise not_found("Rapat / meeting", meeting_id)
    check_read_puskesmas(principal, session.get(models.Puskesmas, meeting.puskesmas_id))
    return meeting


def create_meeting(session, principal: Principal, body: MeetingCreate) -> models.Meeting:
    check_puskesmas(principal, body.puskesmas_id)
    if session.get(models.Puskesmas, body.puskesmas_id) is None:
        raise unprocessable("puskesmas_id", f"puskesmas {body.puskesmas_id} tidak ada / does not exist")
    meeting = models.Meeting(**body.model_dump(), status="scheduled", decisions=[])
    session.add(meeting)
    session.flush()
    emit_meeting_event(session, "meeting.scheduled", meeting)
    session.commit()
    return meeting


def list_meetings(session, principal: Principal, puskesmas_id: int | None = None, from_: datetime | None = None,
                  to: datetime | None = None, limit: int = 50, cursor: str | None = None) -> Page[models.Meeting]:
    """Latest first."""
    Meeting = models.Meeting
    query = select(Meeting).order_by(Meeting.scheduled_at.desc(), Meeting.id.desc())
    if principal.is_dinas:
        query = query.where(Meeting.puskesmas_id.in_(puskesmas_in_area(principal.area_code)))
    elif not principal.is_admin:
        check_puskesmas(principal, int(principal.puskesmas_id) if principal.puskesmas_id else None)
        query = query.where(Meeting.puskesmas_id == int(principal.puskesmas_id))
    if puskesmas_id is not None:
        query = query.where(Meeting.puskesmas_id == puskesmas_id)
    if from_ is not None:
        query = query.where(Meeting.scheduled_at >= from_)
    if to is not None:
        query = query.where(Meeting.scheduled_at < to)
    if cursor:
        at, ident = decode_cursor(cursor, (datetime, int))
        query = query.where((Meeting.scheduled_at < at) | ((Meeting.scheduled_at == at) & (Meeting.id < ident)))
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit,
                       key=lambda row: [row.scheduled_at.isoformat(), row.id])


def get_meeting(session, principal: Principal, meeting_id: int) -> MeetingDetail:
    meeting = readable_meeting(session, principal, meeting_id)
    followups = session.scalars(
        select(models.FollowUp).where(models.FollowUp.meeting_id == meeting_id).order_by(models.FollowUp.id)
    ).all()
    return MeetingDetail(
        **MeetingOut.model_validate(meeting).model_dump(),
        agenda=[AgendaItemOut.model_validate(item) for item in agenda_of(session, meeting_id)],
        attendance=[AttendanceOut.model_validate(row) for row in attendance_of(session, meeting_id)],
        follow_ups=followups_out(session, followups),
    )
