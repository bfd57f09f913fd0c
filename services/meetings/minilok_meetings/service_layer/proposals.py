"""Agenda items proposed from `indicator.below_target` events: recording them, listing, accepting, dismissing."""

from __future__ import annotations

import logging
from typing import Any

from minilok_shared.auth import Principal
from minilok_shared.errors import conflict, forbidden, not_found, unprocessable
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_meetings.access import check_puskesmas, check_read_puskesmas, puskesmas_in_area
from minilok_meetings.domain.proposal import proposal_title
from minilok_meetings.schemas import PROPOSAL_STATUSES, ProposalAccept
from minilok_meetings.service_layer.minutes import next_agenda_position
from minilok_meetings.service_layer.puskesmas import find_puskesmas

log = logging.getLogger(__name__)


def propose_for_below_target(session: Session, event_id: str, fields: dict[str, Any]) -> models.Proposal | None:
    """One proposal per event, for the puskesmas whose working area holds the area (none: nothing)."""
    if session.scalar(select(models.Proposal.id).where(models.Proposal.event_id == event_id)) is not None:
        return None
    puskesmas_id = find_puskesmas(session, [fields["area_code"], *fields["ancestor_codes"]])
    if puskesmas_id is None:
        log.info("no puskesmas holds area %s; no proposal", fields["area_code"])
        return None
    proposal = models.Proposal(
        puskesmas_id=puskesmas_id, event_id=event_id, indicator_code=fields["indicator_code"][:64],
        area_code=fields["area_code"][:64], period=fields["period"][:16], title=proposal_title(fields),
        value=fields["value"], target=fields["target"], status="proposed",
    )
    session.add(proposal)
    return proposal


def _proposal_for(session, principal: Principal, proposal_id: int) -> models.Proposal:
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


def list_proposals(session, principal: Principal, puskesmas_id: int | None = None, status_: str | None = None,
                   limit: int = 50, cursor: str | None = None) -> Page[models.Proposal]:
    """Newest first."""
    query = select(models.Proposal).order_by(models.Proposal.id.desc())
    if principal.role == "puskesmas":
        query = query.where(models.Proposal.puskesmas_id == int(principal.puskesmas_id))
    elif principal.is_dinas:
        query = query.where(models.Proposal.puskesmas_id.in_(puskesmas_in_area(principal.area_code)))
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


def get_proposal(session, principal: Principal, proposal_id: int) -> models.Proposal:
    """Also for a dinas over the proposal's puskesmas (reads only)."""
    proposal = session.get(models.Proposal, proposal_id)
    if proposal is None:
        raise not_found("Usulan / proposal", proposal_id)
    check_read_puskesmas(principal, session.get(models.Puskesmas, proposal.puskesmas_id))
    return proposal


def accept_proposal(session, principal: Principal, proposal_id: int, body: ProposalAccept) -> models.Proposal:
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
    if meeting.status == "cancelled":
        raise unprocessable("meeting_id", f"rapat {body.meeting_id} sudah dibatalkan / that meeting is cancelled")
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


def dismiss_proposal(session, principal: Principal, proposal_id: int) -> models.Proposal:
    proposal = _proposal_for(session, principal, proposal_id)
    _decide(session, proposal, "dismissed")
    session.commit()
    session.refresh(proposal)
    return proposal
