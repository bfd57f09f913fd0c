"""Follow-up routes: parse the request, call the service layer, answer."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from minilok_shared.deps import CurrentPrincipal, SessionDep, read_with_session
from minilok_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, LimitQuery, Page
from minilok_shared.validation import Instant
from pydantic import BaseModel, Field

from minilok_meetings.schemas import (
    AcknowledgeIn,
    CompleteIn,
    FollowUpCreate,
    FollowUpOut,
    FollowUpPatch,
    HistoryOut,
    ProgressIn,
    ReasonIn,
)
from minilok_meetings.service_layer import followup_reads, followups

router = APIRouter(tags=["follow-ups"])


@router.post("/meetings/{meeting_id}/follow-ups", status_code=status.HTTP_201_CREATED, response_model=FollowUpOut)
async def create_followup(meeting_id: int, body: FollowUpCreate, session: SessionDep, principal: CurrentPrincipal):
    # The whole write in one thread hop; the answer is validated and serialized on the event loop.
    return await run_in_threadpool(followups.add_followup, session, principal, meeting_id, body)


class FollowUpFilters(BaseModel):
    """The list's query parameters as one model: FastAPI validates it in one pydantic call, where
    eight separate parameters cost it eight lookups and validations per request."""

    status: str | None = Field(None, description="open, in_progress, done or cancelled")
    owner_agency_id: int | None = None
    puskesmas_id: int | None = None
    meeting_id: int | None = None
    overdue: bool | None = None
    due_before: Instant | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size (1-200)")
    cursor: str | None = None


# The hot reads take no session dependency: `read_with_session` opens one for the read's thread.
# The body is encoded once from the rows; `response_model` only describes it in the OpenAPI
# document (FastAPI does not validate a Response it is handed).
@router.get("/follow-ups", response_model=Page[FollowUpOut])
async def list_followups(request: Request, principal: CurrentPrincipal, q: Annotated[FollowUpFilters, Query()]):
    body = await read_with_session(request, followup_reads.find_followups_json, principal, q.status,
                                   q.owner_agency_id, q.puskesmas_id, q.meeting_id, q.overdue, q.due_before, q.limit,
                                   q.cursor)
    return Response(body, media_type="application/json")


@router.get("/follow-ups/{followup_id}", response_model=FollowUpOut)
async def get_followup(followup_id: int, request: Request, principal: CurrentPrincipal):
    body = await read_with_session(request, followup_reads.fetch_followup_json, principal, followup_id)
    return Response(body, media_type="application/json")


@router.get("/follow-ups/{followup_id}/history", response_model=Page[HistoryOut])
def followup_history(followup_id: int, session: SessionDep, principal: CurrentPrincipal,
                     limit: int = LimitQuery, cursor: str | None = None):
    return followup_reads.followup_history(session, principal, followup_id, limit, cursor)


@router.post("/follow-ups/{followup_id}/start", response_model=FollowUpOut)
def start_followup(followup_id: int, session: SessionDep, principal: CurrentPrincipal):
    return followups.start_followup(session, principal, followup_id)


@router.post("/follow-ups/{followup_id}/progress", response_model=FollowUpOut)
def post_progress(followup_id: int, body: ProgressIn, session: SessionDep, principal: CurrentPrincipal):
    return followups.report_progress(session, principal, followup_id, body)


@router.post("/follow-ups/{followup_id}/complete", response_model=FollowUpOut)
def complete_followup(followup_id: int, body: CompleteIn, session: SessionDep, principal: CurrentPrincipal):
    return followups.complete_followup(session, principal, followup_id, body)


@router.post("/follow-ups/{followup_id}/acknowledge", response_model=FollowUpOut)
def acknowledge_followup(followup_id: int, body: AcknowledgeIn, session: SessionDep, principal: CurrentPrincipal):
    return followups.acknowledge_followup(session, principal, followup_id, body)


@router.post("/follow-ups/{followup_id}/cancel", response_model=FollowUpOut)
def cancel_followup(followup_id: int, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal):
    return followups.cancel_followup(session, principal, followup_id, body)


@router.post("/follow-ups/{followup_id}/reopen", response_model=FollowUpOut)
def reopen_followup(followup_id: int, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal):
    return followups.reopen_followup(session, principal, followup_id, body)


@router.patch("/follow-ups/{followup_id}", response_model=FollowUpOut)
def patch_followup(followup_id: int, body: FollowUpPatch, session: SessionDep, principal: CurrentPrincipal):
    return followups.patch_followup(session, principal, followup_id, body)
