"""Extension request routes: an owner asks for more time, the puskesmas approves or refuses."""

from fastapi import APIRouter, Query, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page

from minilok_meetings.schemas import ExtensionDecisionIn, ExtensionRequestIn, ExtensionRequestOut
from minilok_meetings.service_layer import extensions

router = APIRouter(tags=["extension-requests"])


@router.post("/follow-ups/{followup_id}/extension-requests", status_code=status.HTTP_201_CREATED,
             response_model=ExtensionRequestOut)
def request_extension(followup_id: int, body: ExtensionRequestIn, session: SessionDep, principal: CurrentPrincipal):
    return extensions.request_extension(session, principal, followup_id, body)


@router.get("/extension-requests", response_model=Page[ExtensionRequestOut])
def list_extension_requests(
    session: SessionDep,
    principal: CurrentPrincipal,
    puskesmas_id: int | None = None,
    status_: str | None = Query(None, alias="status", description="pending, approved or refused"),
    followup_id: int | None = None,
    limit: int = LimitQuery,
    cursor: str | None = None,
):
    """Newest first."""
    return extensions.list_extension_requests(session, principal, puskesmas_id, status_, followup_id, limit, cursor)


@router.post("/extension-requests/{request_id}/approve", response_model=ExtensionRequestOut)
def approve_extension(request_id: int, body: ExtensionDecisionIn, session: SessionDep, principal: CurrentPrincipal):
    """The due time moves to the end of the asked-for day and the reminder ladder starts again."""
    return extensions.approve_extension(session, principal, request_id, body)


@router.post("/extension-requests/{request_id}/refuse", response_model=ExtensionRequestOut)
def refuse_extension(request_id: int, body: ExtensionDecisionIn, session: SessionDep, principal: CurrentPrincipal):
    return extensions.refuse_extension(session, principal, request_id, body)
