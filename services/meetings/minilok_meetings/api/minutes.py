"""Routes of a meeting's notulen: agenda, daftar hadir, minutes, publishing, the PDF and XLSX downloads."""

from typing import Annotated

from fastapi import APIRouter, Body, Response, status
from minilok_shared.deps import CurrentPrincipal, SessionDep

from minilok_meetings.documents import PDF, XLSX, download
from minilok_meetings.schemas import AgendaItemCreate, AgendaItemOut, AttendanceIn, AttendanceOut, MeetingOut, MinutesIn
from minilok_meetings.service_layer import minutes

router = APIRouter(prefix="/meetings", tags=["minutes"])


@router.post("/{meeting_id}/agenda", status_code=status.HTTP_201_CREATED, response_model=AgendaItemOut)
def add_agenda_item(meeting_id: int, body: AgendaItemCreate, session: SessionDep, principal: CurrentPrincipal):
    return minutes.add_agenda_item(session, principal, meeting_id, body)


@router.put("/{meeting_id}/attendance", response_model=list[AttendanceOut])
def replace_attendance(
    meeting_id: int,
    body: Annotated[list[AttendanceIn], Body(max_length=500)],
    session: SessionDep,
    principal: CurrentPrincipal,
):
    """Replace the whole daftar hadir of a meeting (an empty list clears it)."""
    return minutes.replace_attendance(session, principal, meeting_id, body)


@router.post("/{meeting_id}/minutes", response_model=MeetingOut)
def record_minutes(meeting_id: int, body: MinutesIn, session: SessionDep, principal: CurrentPrincipal):
    """Write (or rewrite) the summary and decisions; they are final once published."""
    return minutes.record_minutes(session, principal, meeting_id, body)


@router.post("/{meeting_id}/publish", response_model=MeetingOut)
def publish_minutes(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    return minutes.publish_minutes(session, principal, meeting_id)


@router.get("/{meeting_id}/minutes.pdf", response_class=Response,
            responses={200: {"content": {PDF: {}}, "description": "Notulen (PDF)"}})
def minutes_pdf(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    return download(minutes.minutes_pdf(session, principal, meeting_id))


@router.get("/{meeting_id}/follow-ups.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "Rencana tindak lanjut (XLSX)"}})
def followups_xlsx(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    return download(minutes.followups_xlsx(session, principal, meeting_id))
