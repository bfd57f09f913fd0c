"""Meeting routes: parse the request, call the service layer, answer."""

from fastapi import APIRouter, Body, Query, Response, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page
from minilok_shared.validation import Instant

from minilok_meetings.schemas import (
    InvitedIds,
    MeetingCreate,
    MeetingDetail,
    MeetingInvited,
    MeetingOut,
    MeetingPatch,
    ReasonIn,
)
from minilok_meetings.service_layer import meetings

router = APIRouter(prefix="/meetings", tags=["meetings"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingInvited)
def create_meeting(body: MeetingCreate, session: SessionDep, principal: CurrentPrincipal):
    return meetings.create_meeting(session, principal, body)


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
    return meetings.list_meetings(session, principal, puskesmas_id, from_, to, limit, cursor)


@router.get("/{meeting_id}", response_model=MeetingDetail)
def get_meeting(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    return meetings.get_meeting(session, principal, meeting_id)


@router.patch("/{meeting_id}", response_model=MeetingInvited)
def patch_meeting(meeting_id: int, body: MeetingPatch, session: SessionDep, principal: CurrentPrincipal):
    return meetings.patch_meeting(session, principal, meeting_id, body)


@router.put("/{meeting_id}/invitations", response_model=MeetingInvited)
def set_invitations(meeting_id: int, session: SessionDep, principal: CurrentPrincipal,
                    agency_ids: InvitedIds = Body(description="The ids of every agency invited")):
    return meetings.set_invitations(session, principal, meeting_id, agency_ids)


@router.post("/{meeting_id}/cancel", response_model=MeetingInvited)
def cancel_meeting(meeting_id: int, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal):
    return meetings.cancel_meeting(session, principal, meeting_id, body)


@router.get("/{meeting_id}/invitation.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar (RFC 5545) invitation"}})
def invitation_ics(meeting_id: int, session: SessionDep, principal: CurrentPrincipal):
    body, method = meetings.invitation_ics(session, principal, meeting_id)
    return Response(body, media_type=f"text/calendar; method={method}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="undangan-rapat-{meeting_id}.ics"'})
