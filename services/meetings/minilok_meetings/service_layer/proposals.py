"""Agenda items proposed from `indicator.below_target` events (or from the indicators page), a few
per indicator and period from the areas falling behind (PWS jelek and cukup), worst first:
recording them, listing, accepting, dismissing. An indicator, area and period already put on a
meeting's agenda is not offered again: a later proposal for it joins that agenda at once, and
accepting one accepts its twins."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from minilok_shared.auth import Principal
from minilok_shared.errors import conflict, forbidden, not_found, unprocessable
from minilok_shared.localtime import format_period
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


def on_agenda(session: Session, puskesmas_id: int, indicator_code: str, period: str,
              area_codes: Iterable[str]) -> dict[str, models.Meeting]:
    """The meeting (not cancelled) each of these areas' indicator and period is already on the
    agenda of, through an accepted proposal: one query for a whole ranking."""
    codes = sorted(set(area_codes))
    if not codes:
        return {}
    P, M = models.Proposal, models.Meeting
    rows = session.execute(
        select(P.area_code, M).join(M, M.id == P.meeting_id)
        .where(P.puskesmas_id == puskesmas_id, P.indicator_code == indicator_code, P.period == period,
               P.area_code.in_(codes), P.status == "accepted", M.status != "cancelled")
        .order_by(P.id)).all()
    return {area_code: meeting for area_code, meeting in rows}


def _already_on(session: Session, proposal: models.Proposal) -> models.Meeting | None:
    return on_agenda(session, proposal.puskesmas_id, proposal.indicator_code, proposal.period,
                     [proposal.area_code]).get(proposal.area_code)


# A few per indicator and period for a puskesmas, not one per area per month: the worst areas.
MAX_PER_INDICATOR_PERIOD = 3
# PWS statuses a proposal comes from: below target (baik and kurang meet it).
PROPOSED_FROM = ("jelek", "cukup")


def shortfall(value: float | None, target: float | None, direction: str | None) -> float:
    """How far an area is from its target, larger is worse: 1 - value/target (higher is better),
    value/target - 1 (lower is better). Unknown: 0 (the mildest)."""
    if value is None or not target:
        return 0.0
    if direction == "lower_is_better":
        return value / target - 1
    return 1 - value / target


def propose_for_below_target(session: Session, event_id: str, fields: dict[str, Any]) -> models.Proposal | None:
    """A proposal from a `jelek` or `cukup` area, for the puskesmas whose working area holds the
    area (none: nothing). At most MAX_PER_INDICATOR_PERIOD per (puskesmas, indicator, period),
    worst first (largest shortfall against the period's target): a worse area takes the place
    of the mildest one still waiting, a milder one is not proposed. Already on an agenda (the
    indicator fell short again after a recovery): recorded as accepted into that meeting, so it
    is not offered twice."""
    P = models.Proposal
    if session.scalar(select(P.id).where(P.event_id == event_id)) is not None:
        return None
    if fields.get("pws_status") is not None and fields["pws_status"] not in PROPOSED_FROM:
        return None
    puskesmas_id = find_puskesmas(session, [fields["area_code"], *fields["ancestor_codes"]])
    if puskesmas_id is None:
        log.info("no puskesmas holds area %s; no proposal", fields["area_code"])
        return None
    proposal = _new_proposal(puskesmas_id, event_id, fields)
    meeting = _already_on(session, proposal)
    if meeting is not None:
        proposal.status, proposal.meeting_id = "accepted", meeting.id
        session.add(proposal)
        return proposal
    others = session.scalars(select(P).where(
        P.puskesmas_id == puskesmas_id, P.indicator_code == proposal.indicator_code, P.period == proposal.period,
        P.status.in_(("proposed", "accepted")), P.area_code != proposal.area_code)).all()
    if len({other.area_code for other in others}) >= MAX_PER_INDICATOR_PERIOD:
        direction = fields.get("direction")
        waiting = sorted((o for o in others if o.status == "proposed"),
                         key=lambda o: (shortfall(o.value, o.target, direction), -o.id))
        mine = shortfall(proposal.value, proposal.target, direction)
        if not waiting or shortfall(waiting[0].value, waiting[0].target, direction) >= mine:
            log.info("area %s not among the %d worst for %s %s; no proposal", proposal.area_code,
                     MAX_PER_INDICATOR_PERIOD, proposal.indicator_code, proposal.period)
            return None
        # The mildest waiting one (and its twins for the same area) gives way.
        mildest = waiting[0].area_code
        for other in waiting:
            if other.area_code == mildest:
                session.delete(other)
    session.add(proposal)
    return proposal


def _new_proposal(puskesmas_id: int, event_id: str, fields: dict[str, Any]) -> models.Proposal:
    return models.Proposal(
        puskesmas_id=puskesmas_id, event_id=event_id, indicator_code=fields["indicator_code"][:64],
        area_code=fields["area_code"][:64], period=fields["period"][:16], title=proposal_title(fields),
        value=fields["value"], target=fields["target"], pws_status=fields.get("pws_status"), status="proposed",
    )


def already_on_agenda(meeting: models.Meeting):
    """409: that indicator, area and period is on this meeting's agenda already."""
    return conflict(f"Sudah masuk agenda rapat «{meeting.title}» / already on the agenda of «{meeting.title}»")


def propose_from_indicators(session: Session, principal: Principal, puskesmas_id: int, meeting_id: int,
                            fields: dict[str, Any]) -> models.Proposal:
    """The indicators page's "propose for the agenda": the waiting proposal for that indicator,
    area and period (from its below_target event) if there is one, else a new one, accepted into
    `meeting_id`; 409 when it is already on an agenda."""
    check_puskesmas(principal, puskesmas_id)
    P = models.Proposal
    meeting = on_agenda(session, puskesmas_id, fields["indicator_code"], fields["period"],
                        [fields["area_code"]]).get(fields["area_code"])
    if meeting is not None:
        raise already_on_agenda(meeting)
    waiting = session.scalar(select(P).where(
        P.puskesmas_id == puskesmas_id, P.indicator_code == fields["indicator_code"],
        P.area_code == fields["area_code"], P.period == fields["period"], P.status == "proposed",
    ).order_by(P.id.desc()).limit(1))
    if waiting is None:
        waiting = _new_proposal(puskesmas_id, str(uuid.uuid4()), fields)
        session.add(waiting)
        session.flush()
    return accept_proposal(session, principal, waiting.id, ProposalAccept(meeting_id=meeting_id))


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
        raise decided_already(proposal)


def decided_already(proposal: models.Proposal):
    """409 for a proposal no longer waiting, in words."""
    if proposal.status == "dismissed":
        return conflict("Usulan ini sudah ditolak / this proposal was dismissed")
    return conflict("Usulan ini sudah masuk agenda rapat / this proposal is already on a meeting's agenda")


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
        raise decided_already(proposal)
    meeting = session.get(models.Meeting, body.meeting_id)
    if meeting is None or meeting.puskesmas_id != proposal.puskesmas_id:
        raise unprocessable("meeting_id", f"rapat {body.meeting_id} tidak ada di puskesmas ini / "
                                          "meeting not found for this puskesmas")
    if meeting.status == "published":
        raise unprocessable("meeting_id", f"notulen rapat {body.meeting_id} sudah diterbitkan / "
                                          "that meeting's minutes are already published")
    if meeting.status == "cancelled":
        raise unprocessable("meeting_id", f"rapat {body.meeting_id} sudah dibatalkan / that meeting is cancelled")
    already = _already_on(session, proposal)
    if already is not None:
        raise already_on_agenda(already)
    _decide(session, proposal, "accepted", meeting_id=meeting.id)
    # Its twins (the same indicator, area and period from another event) are on this agenda too.
    P = models.Proposal
    session.execute(update(P).where(
        P.puskesmas_id == proposal.puskesmas_id, P.indicator_code == proposal.indicator_code,
        P.area_code == proposal.area_code, P.period == proposal.period, P.status == "proposed",
        P.id != proposal.id).values(status="accepted", meeting_id=meeting.id))
    session.add(models.AgendaItem(
        meeting_id=meeting.id, position=next_agenda_position(session, meeting.id), title=proposal.title,
        indicator_code=proposal.indicator_code, proposal_id=proposal.id,
        notes=f"Diusulkan dari pemantauan wilayah setempat (PWS), periode {format_period(proposal.period)}.",
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
