"""Routes of a meeting's notulen: agenda, daftar hadir, minutes, publishing, the PDF and XLSX downloads."""

from typing import Annotated

import httpx
from fastapi import APIRouter, Body, Request, Response, status
from minilok_shared.deps import CurrentPrincipal, SessionDep

from minilok_meetings.documents import PDF, XLSX, download
from minilok_meetings.schemas import (
    AgendaItemCreate,
    AgendaItemOut,
    AgendaItemPatch,
    AttendanceIn,
    AttendanceOut,
    MeetingOut,
    MinutesIn,
)
from minilok_meetings.service_layer import minutes

router = APIRouter(prefix="/meetings", tags=["minutes"])


@router.post("/{meeting_id}/agenda", status_code=status.HTTP_201_CREATED, response_model=AgendaItemOut)
def add_agenda_item(meeting_id: int, body: AgendaItemCreate, session: SessionDep, principal: CurrentPrincipal):
    return minutes.add_agenda_item(session, principal, meeting_id, body)


@router.patch("/{meeting_id}/agenda/{item_id}", response_model=AgendaItemOut)
def update_agenda_item(meeting_id: int, item_id: int, body: AgendaItemPatch, session: SessionDep,
                       principal: CurrentPrincipal):
    """Change an agenda item until the minutes are published (409 after)."""
    return minutes.update_agenda_item(session, principal, meeting_id, item_id, body)


@router.delete("/{meeting_id}/agenda/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_agenda_item(meeting_id: int, item_id: int, session: SessionDep, principal: CurrentPrincipal):
    """Take an item off the agenda until the minutes are published (409 after)."""
    minutes.remove_agenda_item(session, principal, meeting_id, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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


def catalogue_names(request: Request):
    """The agenda's indicators by name, read from the indicators service with the caller's own
    token; their codes stay when it cannot be reached."""

    def names(codes: set[str]) -> dict[str, str]:
        try:
            listed = httpx.get(f"{request.app.state.settings.indicators_url}/api/v1/indicators",
                               params={"limit": 200}, timeout=5,
                               headers={"Authorization": request.headers.get("authorization", "")})
        except httpx.HTTPError:
            return {}
        items = listed.json().get("items", []) if listed.status_code == 200 else []
        return {i["code"]: i["name"] for i in items if i["code"] in codes}

    return names


@router.get("/{meeting_id}/minutes.pdf", response_class=Response,
            responses={200: {"content": {PDF: {}}, "description": "Notulen (PDF)"}})
def minutes_pdf(meeting_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal):
    return download(minutes.minutes_pdf(session, principal, meeting_id, catalogue_names(request)))


@router.get("/{meeting_id}/follow-ups.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "Rencana tindak lanjut (XLSX)"}})
def followups_xlsx(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    return download(minutes.followups_xlsx(session, principal, meeting_id))
