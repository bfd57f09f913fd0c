"""Agenda items proposed from `indicator.below_target` events, for a puskesmas's next meeting."""

from fastapi import APIRouter, Query
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import conflict, forbidden, not_found, unprocessable
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page
from sqlalchemy import select, update

from minilok_meetings import models
from minilok_meetings.api.access import check_puskesmas
from minilok_meetings.api.minutes_schemas import PROPOSAL_STATUSES, ProposalAccept, ProposalOut
from minilok_meetings.minutes import next_agenda_position

router = APIRouter(prefix="/proposals", tags=["proposals"])


def _proposal_for(session, principal, proposal_id: int) -> models.Proposal:
    proposal = session.get(models.Proposal, proposal_id)
    if proposal is None:
        raise not_found("Usulan / proposal", proposal_id)
    check_puskesmas(principal, proposal.puskesmas_id)
    return proposal


def _decide(session, proposal: models.Proposal, new_status: str, **values) -> None:
    """Move a proposal out of "proposed" once, even when two requests race (409 for the loser)."""
    moved = session.execute(
        update(models.Proposal)
        .where(models.Proposal.id == proposal.id, models.Proposal.status == "proposed")
        .values(status=new_status, **values)
    )
    if moved.rowcount != 1:
        session.rollback()
        raise conflict(f"Usulan {proposal.id} sudah {proposal.status} / proposal is already {proposal.status}")


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
    query = select(models.Proposal).order_by(models.Proposal.id.desc())
    if principal.role == "puskesmas":
        query = query.where(models.Proposal.puskesmas_id == int(principal.puskesmas_id))
    elif not principal.is_admin:
        raise forbidden()
    if puskesmas_id is not None:
        query = query.where(models.Proposal.puskesmas_id == puskesmas_id)
    if status_ is not None:
        if status_ not in PROPOSAL_STATUSES:
            raise unprocessable("status", f"harus salah satu dari / must be one of {', '.join(PROPOSAL_STATUSES)}",
                                "query")
        query = query.where(models.Proposal.status == status_)
    if cursor:
        (before,) = decode_cursor(cursor)
        query = query.where(models.Proposal.id < before)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)


@router.get("/{proposal_id}", response_model=ProposalOut)
def get_proposal(proposal_id: int, session: SessionDep, principal: CurrentPrincipal):
    return _proposal_for(session, principal, proposal_id)


@router.post("/{proposal_id}/accept", response_model=ProposalOut)
def accept_proposal(proposal_id: int, body: ProposalAccept, session: SessionDep, principal: CurrentPrincipal):
    """Add the proposal to a meeting's agenda (a meeting of the same puskesmas, not yet published)."""
    proposal = _proposal_for(session, principal, proposal_id)
    if proposal.status != "proposed":
        raise conflict(f"Usulan {proposal.id} sudah {proposal.status} / proposal is already {proposal.status}")
    meeting = session.get(models.Meeting, body.meeting_id)
    if meeting is None or meeting.puskesmas_id != proposal.puskesmas_id:
        raise unprocessable("meeting_id", f"rapat {body.meeting_id} tidak ada di puskesmas ini / "
                                          "meeting not found for this puskesmas")
    if meeting.status == "published":
        raise unprocessable("meeting_id", f"notulen rapat {body.meeting_id} sudah diterbitkan / "
                                          "that meeting's minutes are already published")
    _decide(session, proposal, "accepted", meeting_id=meeting.id)
    session.add(models.AgendaItem(
        meeting_id=meeting.id, position=next_agenda_position(session, meeting.id), title=proposal.title,
        indicator_code=proposal.indicator_code, proposal_id=proposal.id,
        notes=f"Diusulkan dari pemantauan indikator {proposal.indicator_code} wilayah {proposal.area_code} "
              f"periode {proposal.period}.",
    ))
    session.commit()
    session.refresh(proposal)
    return proposal


@router.post("/{proposal_id}/dismiss", response_model=ProposalOut)
def dismiss_proposal(proposal_id: int, session: SessionDep, principal: CurrentPrincipal):
    proposal = _proposal_for(session, principal, proposal_id)
    _decide(session, proposal, "dismissed")
    session.commit()
    session.refresh(proposal)
    return proposal
