from datetime import datetime

from fastapi import APIRouter, Query, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import not_found, unprocessable
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page
from minilok_shared.validation import Instant
from sqlalchemy import select

from minilok_meetings import models
from minilok_meetings.api.access import check_puskesmas
from minilok_meetings.api.followups import followups_out
from minilok_meetings.api.minutes_schemas import AgendaItemOut, AttendanceOut
from minilok_meetings.api.schemas import FollowUpOut, MeetingCreate, MeetingOut
from minilok_meetings.events import emit_meeting_event
from minilok_meetings.minutes import agenda_of, attendance_of

router = APIRouter(prefix="/meetings", tags=["meetings"])


class MeetingDetail(MeetingOut):
    agenda: list[AgendaItemOut]
    attendance: list[AttendanceOut]
    follow_ups: list[FollowUpOut]


def get_meeting_for(session, principal, meeting_id: int) -> models.Meeting:
    meeting = session.get(models.Meeting, meeting_id)
    if meeting is None:
        raise not_found("Rapat / meeting", meeting_id)
    check_puskesmas(principal, meeting.puskesmas_id)
    return meeting


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingOut)
def create_meeting(body: MeetingCreate, session: SessionDep, principal: CurrentPrincipal):
    check_puskesmas(principal, body.puskesmas_id)
    if session.get(models.Puskesmas, body.puskesmas_id) is None:
        raise unprocessable("puskesmas_id", f"puskesmas {body.puskesmas_id} tidak ada / does not exist")
    meeting = models.Meeting(**body.model_dump(), status="scheduled", decisions=[])
    session.add(meeting)
    session.flush()
    emit_meeting_event(session, "meeting.scheduled", meeting)
    session.commit()
    return meeting


@router.get("", response_model=Page[MeetingOut])
def list_meetings(
    session: SessionDep,
    principal: CurrentPrincipal,
    puskesmas_id: int | None = None,
    from_: Instant | None = Query(None, alias="from"),
    to: Instant | None = None,
    limit: int = LimitQuery,
    cursor: str | None = None,
):
    query = select(models.Meeting).order_by(models.Meeting.scheduled_at.desc(), models.Meeting.id.desc())
    if not principal.is_admin:
        check_puskesmas(principal, int(principal.puskesmas_id) if principal.puskesmas_id else None)
        query = query.where(models.Meeting.puskesmas_id == int(principal.puskesmas_id))
    if puskesmas_id is not None:
        query = query.where(models.Meeting.puskesmas_id == puskesmas_id)
    if from_ is not None:
        query = query.where(models.Meeting.scheduled_at >= from_)
    if to is not None:
        query = query.where(models.Meeting.scheduled_at < to)
    if cursor:
        at, ident = decode_cursor(cursor, (datetime, int))
        query = query.where(
            (models.Meeting.scheduled_at < at) | ((models.Meeting.scheduled_at == at) & (models.Meeting.id < ident))
        )
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit,
                       key=lambda row: [row.scheduled_at.isoformat(), row.id])


@router.get("/{meeting_id}", response_model=MeetingDetail)
def get_meeting(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    meeting = get_meeting_for(session, principal, meeting_id)
    followups = session.scalars(
        select(models.FollowUp).where(models.FollowUp.meeting_id == meeting_id).order_by(models.FollowUp.id)
    ).all()
    return MeetingDetail(
        **MeetingOut.model_validate(meeting).model_dump(),
        agenda=[AgendaItemOut.model_validate(item) for item in agenda_of(session, meeting_id)],
        attendance=[AttendanceOut.model_validate(row) for row in attendance_of(session, meeting_id)],
        follow_ups=followups_out(session, followups),
    )
