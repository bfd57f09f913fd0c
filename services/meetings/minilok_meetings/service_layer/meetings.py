"""Meetings: schedule one, invite agencies, move or cancel it, list them, one meeting with its agenda,
daftar hadir and follow-ups, and its iCalendar invitation."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from minilok_shared import ics
from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import conflict, not_found, unprocessable
from minilok_shared.localtime import days_late
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import delete, exists, or_, select

from minilok_meetings import models
from minilok_meetings.access import (
    AGENCY_ROLES,
    can_read_followup,
    check_puskesmas,
    check_read_puskesmas,
    puskesmas_in_area,
)
from minilok_meetings.domain.followup import ACTIVE, is_overdue
from minilok_meetings.events import emit_meeting_event, invited_agency_ids, meeting_data
from minilok_meetings.schemas import (
    AgendaItemOut,
    AttendanceOut,
    CarriedOverOut,
    MeetingCreate,
    MeetingDetail,
    MeetingInvited,
    MeetingOut,
    MeetingPatch,
    ReasonIn,
)
from minilok_meetings.service_layer.agencies import agency_names, usable_agency_ids
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


def invitee_readable_meeting(session, principal: Principal, meeting_id: int) -> models.Meeting:
    """The meeting, for whoever reads it (`readable_meeting`) and for an agency invited to it."""
    meeting = session.get(models.Meeting, meeting_id)
    if meeting is None:
        raise not_found("Rapat / meeting", meeting_id)
    if principal.role in AGENCY_ROLES and principal.agency_id and principal.agency_id.isdigit() \
            and session.get(models.MeetingInvitation, (meeting.id, int(principal.agency_id))) is not None:
        return meeting
    check_read_puskesmas(principal, session.get(models.Puskesmas, meeting.puskesmas_id))
    return meeting


def _checked_invitations(session, puskesmas_id: int, ids: list[int], loc: list) -> list[int]:
    """The agencies invited, each once: of this puskesmas or shared by all; else 422 at the first wrong one."""
    # Ids are 64-bit: a longer number names no agency (and PostgreSQL would refuse to compare it).
    usable = usable_agency_ids(session, [i for i in ids if 0 < i < 2**63], puskesmas_id)
    errors = [{"loc": [*loc, index], "type": "value_error",
               "msg": f"lembaga {agency_id} tidak ada di puskesmas ini / agency not found for this puskesmas"}
              for index, agency_id in enumerate(ids) if agency_id not in usable]
    if errors:
        raise HTTPException(422, errors)
    return sorted(set(ids))


def meeting_invited(session, meeting: models.Meeting) -> MeetingInvited:
    invited = invited_agency_ids(session, meeting.id)
    names = agency_names(session, invited)
    return MeetingInvited(**MeetingOut.model_validate(meeting).model_dump(), invited_agency_ids=invited,
                          invited_agencies=[{"id": i, "name": names.get(i)} for i in invited])


def create_meeting(session, principal: Principal, body: MeetingCreate) -> MeetingInvited:
    check_puskesmas(principal, body.puskesmas_id)
    if session.get(models.Puskesmas, body.puskesmas_id) is None:
        raise unprocessable("puskesmas_id", f"puskesmas {body.puskesmas_id} tidak ada / does not exist")
    invited = _checked_invitations(session, body.puskesmas_id, body.invited_agency_ids,
                                   ["body", "invited_agency_ids"])
    meeting = models.Meeting(**body.model_dump(exclude={"invited_agency_ids"}), status="scheduled", decisions=[],
                             sequence=0)
    session.add(meeting)
    session.flush()
    session.add_all(models.MeetingInvitation(meeting_id=meeting.id, agency_id=a) for a in invited)
    emit_meeting_event(session, "meeting.scheduled", meeting)
    session.commit()
    return meeting_invited(session, meeting)


def _changeable(session, principal: Principal, meeting_id: int) -> models.Meeting:
    """The meeting, locked for this change, if `principal` manages it and it has neither happened
    (minutes published) nor been cancelled."""
    meeting = session.get(models.Meeting, meeting_id, with_for_update=True)
    if meeting is None:
        raise not_found("Rapat / meeting", meeting_id)
    check_puskesmas(principal, meeting.puskesmas_id)
    if meeting.status == "published":
        raise conflict(f"Notulen rapat {meeting_id} sudah diterbitkan; rapat tidak dapat diubah / "
                       "the minutes are published: the meeting cannot change")
    if meeting.status == "cancelled":
        raise conflict(f"Rapat {meeting_id} sudah dibatalkan / the meeting is cancelled")
    return meeting


def _changed(session, meeting: models.Meeting, type: str, uninvited: set[int] | None = None) -> MeetingInvited:
    """Invitees hear of it: SEQUENCE raised, the event emitted, all in this transaction (agencies
    `uninvited` hear it too, to take the meeting out of their calendars)."""
    meeting.sequence = (meeting.sequence or 0) + 1
    emit_meeting_event(session, type, meeting, uninvited or ())
    session.commit()
    return meeting_invited(session, meeting)


def set_invitations(session, principal: Principal, meeting_id: int, agency_ids: list[int]) -> MeetingInvited:
    """Replace the agencies invited (an empty list invites none); `meeting.updated` when it changed,
    naming the agencies taken off the list (`uninvited_agency_ids`)."""
    meeting = _changeable(session, principal, meeting_id)
    wanted = _checked_invitations(session, meeting.puskesmas_id, agency_ids, ["body"])
    current = set(invited_agency_ids(session, meeting.id))
    if current == set(wanted):
        session.commit()
        return meeting_invited(session, meeting)
    gone = current - set(wanted)
    if gone:
        session.execute(delete(models.MeetingInvitation).where(models.MeetingInvitation.meeting_id == meeting.id,
                                                               models.MeetingInvitation.agency_id.in_(gone)))
    session.add_all(models.MeetingInvitation(meeting_id=meeting.id, agency_id=a) for a in wanted if a not in current)
    return _changed(session, meeting, "meeting.updated", uninvited=gone)


def patch_meeting(session, principal: Principal, meeting_id: int, body: MeetingPatch) -> MeetingInvited:
    """A new title, time or place (location null clears it); `meeting.updated` when something changed."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise unprocessable("body", "tidak ada perubahan / nothing to change")
    for field in ("title", "scheduled_at"):
        if field in changes and changes[field] is None:
            raise unprocessable(field, "tidak boleh kosong / must not be null")
    meeting = _changeable(session, principal, meeting_id)
    changed = {k: v for k, v in changes.items() if getattr(meeting, k) != v}
    if not changed:
        session.commit()
        return meeting_invited(session, meeting)
    for field, value in changed.items():
        setattr(meeting, field, value)
    return _changed(session, meeting, "meeting.updated")


def cancel_meeting(session, principal: Principal, meeting_id: int, body: ReasonIn) -> MeetingInvited:
    """Status `cancelled` with its reason: `meeting.cancelled`, and invitees' calendars drop it."""
    meeting = _changeable(session, principal, meeting_id)
    meeting.status, meeting.cancelled_at, meeting.cancel_reason = "cancelled", utcnow(), body.reason
    return _changed(session, meeting, "meeting.cancelled")


def previous_invitations(session, meeting: models.Meeting) -> list[int]:
    """Whom this puskesmas invited to its latest earlier meeting that invited anyone (the page's default)."""
    M, Invitation = models.Meeting, models.MeetingInvitation
    previous = session.scalar(
        select(M.id).where(M.puskesmas_id == meeting.puskesmas_id, M.id != meeting.id,
                           M.scheduled_at <= meeting.scheduled_at, M.id.in_(select(Invitation.meeting_id)))
        .order_by(M.scheduled_at.desc(), M.id.desc()).limit(1))
    return invited_agency_ids(session, previous) if previous is not None else []


def invitation_ics(session, principal: Principal, meeting_id: int) -> tuple[bytes, str]:
    """The meeting's .ics and its method: REQUEST, or CANCEL once it is cancelled."""
    meeting = invitee_readable_meeting(session, principal, meeting_id)
    method = "CANCEL" if meeting.status == "cancelled" else "REQUEST"
    organizer = session.scalar(
        select(models.AgencyContact.email).join(models.Agency, models.Agency.id == models.AgencyContact.agency_id)
        .where(models.Agency.puskesmas_id == meeting.puskesmas_id, models.Agency.kind == "puskesmas",
               models.AgencyContact.email.is_not(None))
        .order_by(models.Agency.id, models.AgencyContact.id).limit(1))
    return ics.meeting_invitation(meeting_data(session, meeting), method, organizer), method


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
    """The meeting with all it holds; an invited agency sees only the follow-ups it may read."""
    meeting = invitee_readable_meeting(session, principal, meeting_id)
    followups = session.scalars(
        select(models.FollowUp).where(models.FollowUp.meeting_id == meeting_id).order_by(models.FollowUp.id)
    ).all()
    if principal.role in AGENCY_ROLES and not principal.is_dinas:
        followups = [f for f in followups if can_read_followup(principal, f, session)]
    return MeetingDetail(
        **meeting_invited(session, meeting).model_dump(),
        agenda=[AgendaItemOut.model_validate(item) for item in agenda_of(session, meeting_id)],
        attendance=[AttendanceOut.model_validate(row) for row in attendance_of(session, meeting_id)],
        follow_ups=followups_out(session, followups),
        carried_over=carried_over(session, principal, meeting),
    )


CARRIED_OVER_LIMIT = 200


def carried_over(session, principal: Principal, meeting: models.Meeting,
                 limit: int = CARRIED_OVER_LIMIT) -> list[CarriedOverOut]:
    """The puskesmas's unfinished follow-ups (open, in progress) of meetings scheduled before this
    one, newest meeting first, with how late each is: one query, at most `limit` rows. An invited
    agency sees only those it owns or supports."""
    f, m, a = models.FollowUp, models.Meeting, models.Agency
    query = (select(f.id, f.meeting_id, m.title.label("meeting_title"), m.scheduled_at, f.title, f.owner_agency_id,
                    a.name.label("owner_name"), f.due_at, f.status, f.percent, models.Puskesmas.timezone)
             .join(m, m.id == f.meeting_id).join(a, a.id == f.owner_agency_id)
             .join(models.Puskesmas, models.Puskesmas.id == f.puskesmas_id)
             .where(f.puskesmas_id == meeting.puskesmas_id, f.status.in_(ACTIVE), f.meeting_id != meeting.id,
                    m.scheduled_at < meeting.scheduled_at)
             .order_by(m.scheduled_at.desc(), m.id.desc(), f.due_at, f.id).limit(limit))
    if principal.role in AGENCY_ROLES and not principal.is_dinas and not principal.is_admin:
        agency = int(principal.agency_id) if principal.agency_id else -1
        query = query.where(or_(f.owner_agency_id == agency, exists().where(
            models.FollowUpSupporter.followup_id == f.id, models.FollowUpSupporter.agency_id == agency)))
    now = utcnow()
    out = []
    for row in session.execute(query):
        tz = ZoneInfo(row.timezone)
        overdue = is_overdue(row.status, row.due_at, now)
        out.append(CarriedOverOut(
            id=row.id, meeting_id=row.meeting_id, meeting_title=row.meeting_title,
            meeting_scheduled_at=row.scheduled_at.astimezone(tz), title=row.title,
            owner_agency_id=row.owner_agency_id, owner_name=row.owner_name, due_at=row.due_at.astimezone(tz),
            status=row.status, percent=row.percent, is_overdue=overdue,
            days_late=days_late(row.due_at, now, row.timezone) if overdue else 0))
    return out
