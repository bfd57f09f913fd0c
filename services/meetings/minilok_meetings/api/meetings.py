"""Meeting routes: parse the request, call the service layer, answer."""

from fastapi import APIRouter, Query, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page
from minilok_shared.validation import Instant

from minilok_meetings.schemas import MeetingCreate, MeetingDetail, MeetingOut
from minilok_meetings.service_layer import meetings

router = APIRouter(prefix="/meetings", tags=["meetings"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingOut)
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
