"""A meeting's notulen: agenda, daftar hadir, minutes, publishing, and the PDF and XLSX documents."""

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, HTTPException, Response, status
from minilok_shared.db import utcnow
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import conflict
from sqlalchemy import delete, update

from minilok_meetings import models
from minilok_meetings.api.meetings import get_meeting_for
from minilok_meetings.api.minutes_schemas import AgendaItemCreate, AgendaItemOut, AttendanceIn, AttendanceOut, MinutesIn
from minilok_meetings.api.schemas import MeetingOut
from minilok_meetings.documents.content import MinutesContent
from minilok_meetings.documents.followups_xlsx import render_followups_xlsx
from minilok_meetings.documents.minutes_pdf import render_minutes_pdf
from minilok_meetings.events import emit_meeting_event
from minilok_meetings.minutes import attendance_of, load_minutes_content, next_agenda_position, usable_agency_ids

router = APIRouter(prefix="/meetings", tags=["minutes"])

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _agency_error(loc: list, agency_id: int) -> dict:
    return {"loc": loc, "msg": f"lembaga {agency_id} tidak ada di puskesmas ini / agency not found for this puskesmas",
            "type": "value_error"}


def _writable_meeting(session, principal, meeting_id: int) -> models.Meeting:
    meeting = get_meeting_for(session, principal, meeting_id)
    if meeting.status == "published":
        raise conflict(f"Notulen rapat {meeting_id} sudah diterbitkan / the minutes are already published")
    return meeting


@router.post("/{meeting_id}/agenda", status_code=status.HTTP_201_CREATED, response_model=AgendaItemOut)
def add_agenda_item(meeting_id: int, body: AgendaItemCreate, session: SessionDep, principal: CurrentPrincipal):
    meeting = _writable_meeting(session, principal, meeting_id)
    presenter = body.presenter_agency_id
    if presenter is not None and not usable_agency_ids(session, [presenter], meeting.puskesmas_id):
        raise HTTPException(422, [_agency_error(["body", "presenter_agency_id"], presenter)])
    item = models.AgendaItem(meeting_id=meeting.id, position=next_agenda_position(session, meeting.id),
                             **body.model_dump())
    session.add(item)
    session.commit()
    return item


@router.put("/{meeting_id}/attendance", response_model=list[AttendanceOut])
def replace_attendance(
    meeting_id: int,
    body: Annotated[list[AttendanceIn], Body(max_length=500)],
    session: SessionDep,
    principal: CurrentPrincipal,
):
    """Replace the whole daftar hadir of a meeting (an empty list clears it)."""
    meeting = _writable_meeting(session, principal, meeting_id)
    usable = usable_agency_ids(session, {row.agency_id for row in body}, meeting.puskesmas_id)
    errors = [_agency_error(["body", index, "agency_id"], row.agency_id)
              for index, row in enumerate(body) if row.agency_id not in usable]
    if errors:
        raise HTTPException(422, errors)
    session.execute(delete(models.Attendance).where(models.Attendance.meeting_id == meeting.id))
    session.add_all(models.Attendance(meeting_id=meeting.id, **row.model_dump()) for row in body)
    session.commit()
    return attendance_of(session, meeting.id)


@router.post("/{meeting_id}/minutes", response_model=MeetingOut)
def record_minutes(meeting_id: int, body: MinutesIn, session: SessionDep, principal: CurrentPrincipal):
    """Write (or rewrite) the summary and decisions; they are final once published."""
    meeting = _writable_meeting(session, principal, meeting_id)
    meeting.summary, meeting.decisions = body.summary, list(body.decisions)
    session.commit()
    return meeting


@router.post("/{meeting_id}/publish", response_model=MeetingOut)
def publish_minutes(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    meeting = _writable_meeting(session, principal, meeting_id)
    if not meeting.summary:
        raise conflict(f"Rapat {meeting_id} belum punya notulen / record the minutes before publishing")
    # A conditional update, so that two concurrent publishes emit the event once.
    published = session.execute(
        update(models.Meeting)
        .where(models.Meeting.id == meeting.id, models.Meeting.status != "published")
        .values(status="published", published_at=utcnow())
    )
    if published.rowcount != 1:
        session.rollback()
        raise conflict(f"Notulen rapat {meeting_id} sudah diterbitkan / the minutes are already published")
    session.refresh(meeting)
    emit_meeting_event(session, "meeting.minutes_published", meeting)
    session.commit()
    return meeting


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _file_stem(content: MinutesContent) -> str:
    """ASCII only, so the header needs no encoding: "<meeting id>-<local meeting date>"."""
    day = content.scheduled_at.astimezone(ZoneInfo(content.timezone)).date()
    return f"{content.meeting_id}-{day.isoformat()}"


@router.get("/{meeting_id}/minutes.pdf", response_class=Response,
            responses={200: {"content": {PDF: {}}, "description": "Notulen (PDF)"}})
def minutes_pdf(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    meeting = get_meeting_for(session, principal, meeting_id)
    content = load_minutes_content(session, meeting)
    return _download(render_minutes_pdf(content), PDF, f"notulen-lokmin-{_file_stem(content)}.pdf")


@router.get("/{meeting_id}/follow-ups.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "Rencana tindak lanjut (XLSX)"}})
def followups_xlsx(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    meeting = get_meeting_for(session, principal, meeting_id)
    content = load_minutes_content(session, meeting)
    return _download(render_followups_xlsx(content), XLSX, f"rtl-lokmin-{_file_stem(content)}.xlsx")
