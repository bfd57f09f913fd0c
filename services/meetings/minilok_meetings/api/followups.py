"""Follow-up routes: parse the request, call the service layer, answer."""

from fastapi import APIRouter, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from minilok_shared.deps import CurrentPrincipal, SessionDep, read_in_thread
from minilok_shared.pagination import LimitQuery, Page
from minilok_shared.validation import Instant

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


@router.get("/follow-ups", response_model=Page[FollowUpOut])
async def list_followups(
    session: SessionDep,
    principal: CurrentPrincipal,
    status_: str | None = Query(None, alias="status", description="open, in_progress, done or cancelled"),
    owner_agency_id: int | None = None,
    puskesmas_id: int | None = None,
    meeting_id: int | None = None,
    overdue: bool | None = None,
    due_before: Instant | None = None,
    limit: int = LimitQuery,
    cursor: str | None = None,
):
    # The body is encoded once from the rows; `response_model` only describes it in the OpenAPI
    # document (FastAPI does not validate a Response it is handed).
    body = await read_in_thread(session, followup_reads.find_followups_json, session, principal, status_,
                                owner_agency_id, puskesmas_id, meeting_id, overdue, due_before, limit, cursor)
    return Response(body, media_type="application/json")


@router.get("/follow-ups/{followup_id}", response_model=FollowUpOut)
async def get_followup(followup_id: int, session: SessionDep, principal: CurrentPrincipal):
    body = await read_in_thread(session, followup_reads.fetch_followup_json, session, principal, followup_id)
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
