"""Routes of the agenda items proposed from `indicator.below_target` events."""

from fastapi import APIRouter, Query
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page

from minilok_meetings.schemas import ProposalAccept, ProposalOut
from minilok_meetings.service_layer import proposals

router = APIRouter(prefix="/proposals", tags=["proposals"])


@router.get("", response_model=Page[ProposalOut])
def list_proposals(
    session: SessionDep,
    principal: CurrentPrincipal,
    puskesmas_id: int | None = None,
    status_: str | None = Query(None, alias="status", description="proposed, accepted or dismissed"),
    limit: int = LimitQuery,
    cursor: str | None = None,
):
    """Newest first."""
    return proposals.list_proposals(session, principal, puskesmas_id, status_, limit, cursor)


@router.get("/{proposal_id}", response_model=ProposalOut)
def get_proposal(proposal_id: int, session: SessionDep, principal: CurrentPrincipal):
    return proposals.get_proposal(session, principal, proposal_id)


@router.post("/{proposal_id}/accept", response_model=ProposalOut)
def accept_proposal(proposal_id: int, body: ProposalAccept, session: SessionDep, principal: CurrentPrincipal):
    """Add the proposal to a meeting's agenda (a meeting of the same puskesmas, not yet published)."""
    return proposals.accept_proposal(session, principal, proposal_id, body)


@router.post("/{proposal_id}/dismiss", response_model=ProposalOut)
def dismiss_proposal(proposal_id: int, session: SessionDep, principal: CurrentPrincipal):
    return proposals.dismiss_proposal(session, principal, proposal_id)
