"""Reads only the dashboard needs: whole lists (every page up to a cap) through the same
service functions the API runs (so the same access rules and shapes), and the puskesmas or
meeting a page shows beside what it was asked for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import HTTPException
from minilok_shared.auth import Principal
from minilok_shared.pagination import MAX_LIMIT
from sqlalchemy import case, func, select

from minilok_meetings import models
from minilok_meetings.access import puskesmas_in_area, within_area
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.schemas import FollowUpOut
from minilok_meetings.service_layer import agencies, followup_reads, meetings, proposals, puskesmas, reminders

MAX_ROWS = 2000
DEFAULT_TIMEZONE = "Asia/Jakarta"


def every(list_page: Callable, **filters) -> list:
    items: list = []
    cursor = None
    while len(items) < MAX_ROWS:
        page = list_page(**filters, limit=MAX_LIMIT, cursor=cursor)
        items.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    return items


def followups(session, principal: Principal, *, status: str | None = None, owner_agency_id: int | None = None,
              puskesmas_id: int | None = None, meeting_id: int | None = None,
              overdue: bool | None = None) -> list[FollowUpOut]:
    return every(lambda **kw: followup_reads.find_followups(session, principal, **kw), status_=status,
                 owner_agency_id=owner_agency_id, puskesmas_id=puskesmas_id, meeting_id=meeting_id,
                 overdue=overdue, due_before=None)


def by_urgency(items: list[FollowUpOut]) -> list[FollowUpOut]:
    """Overdue first, then the one due soonest: the order a board column is read in."""
    return sorted(items, key=lambda f: (not f.is_overdue, f.due_at, f.id))


@dataclass(frozen=True)
class MeetingOfCard:
    id: int
    title: str
    scheduled_at: datetime


@dataclass(frozen=True)
class EscalatedTo:
    """An agency a follow-up was passed on to, and at which step of the ladder."""
    name: str
    level: int


@dataclass(frozen=True)
class CardDetails:
    """What the cards of a board show beside the follow-up itself: its meeting, and whom it has
    been escalated to (from `followup_escalations`, which records each level's agencies)."""
    meetings: dict[int, MeetingOfCard]
    escalated_to: dict[int, list[EscalatedTo]]


CHUNK = 500  # ids per IN (...): well below SQLite's bound-parameter limit


def card_details(session, items: list[FollowUpOut]) -> CardDetails:
    """For all the cards of a page at once: one query for their meetings, one for the agencies
    they escalated to (never a query per card). The reader already sees these follow-ups."""
    meeting_ids = sorted({f.meeting_id for f in items})
    escalated_ids = sorted({f.id for f in items if f.escalation_level})
    meetings_found: dict[int, MeetingOfCard] = {}
    escalated: dict[int, list[EscalatedTo]] = {}
    M, E, A = models.Meeting, models.FollowUpEscalation, models.Agency
    for start in range(0, len(meeting_ids), CHUNK):
        rows = session.execute(select(M.id, M.title, M.scheduled_at)
                               .where(M.id.in_(meeting_ids[start:start + CHUNK]))).all()
        meetings_found.update({row.id: MeetingOfCard(row.id, row.title, row.scheduled_at) for row in rows})
    for start in range(0, len(escalated_ids), CHUNK):
        rows = session.execute(select(E.followup_id, E.level, A.name).join(A, A.id == E.agency_id)
                               .where(E.followup_id.in_(escalated_ids[start:start + CHUNK]))
                               .order_by(E.followup_id, E.level, A.name)).all()
        for row in rows:
            escalated.setdefault(row.followup_id, []).append(EscalatedTo(row.name, row.level))
    levels = {f.id: f.escalation_level for f in items}
    # A reopened or rescheduled follow-up starts its ladder again: agencies of higher steps than
    # the current one were told about an earlier due time.
    return CardDetails(meetings_found, {fid: [e for e in agencies_told if e.level <= levels[fid]]
                                        for fid, agencies_told in escalated.items()})


def active_followups(session, principal: Principal, **filters) -> list[FollowUpOut]:
    return [f for status in ("open", "in_progress") for f in followups(session, principal, status=status, **filters)]


def puskesmas_choice(session, principal: Principal, wanted: int | None) -> tuple[models.Puskesmas | None, list]:
    """The puskesmas a page is about, and the ones the user may switch to (admins: all; a dinas:
    those within its area)."""
    if principal.role == "puskesmas":
        own = puskesmas.get_puskesmas(session, principal, int(principal.puskesmas_id))
        return own, [own]
    if not (principal.is_admin or principal.is_dinas):
        return None, []
    choices = every(lambda **kw: puskesmas.list_puskesmas(session, principal, **kw))
    current = next((p for p in choices if p.id == wanted), choices[0] if choices else None)
    return current, choices


def agencies_of(session, principal: Principal, puskesmas_id: int | None) -> list[models.Agency]:
    """The agencies usable at a puskesmas: its own and the shared ones (dinas, BPJS...)."""
    rows = every(lambda **kw: agencies.list_agencies(session, principal, **kw), puskesmas_id=None, kind=None)
    return [a for a in rows if a.puskesmas_id in (None, puskesmas_id)] if puskesmas_id else rows


def meetings_of(session, principal: Principal, puskesmas_id: int) -> list[models.Meeting]:
    return every(lambda **kw: meetings.list_meetings(session, principal, **kw), puskesmas_id=puskesmas_id,
                 from_=None, to=None)


def open_meetings(session, principal: Principal, puskesmas_id: int, now: datetime) -> list[models.Meeting]:
    """Meetings whose agenda can still change, the next one first."""
    rows = [m for m in meetings_of(session, principal, puskesmas_id) if m.status == "scheduled"]
    upcoming = sorted((m for m in rows if m.scheduled_at >= now), key=lambda m: m.scheduled_at)
    past = sorted((m for m in rows if m.scheduled_at < now), key=lambda m: m.scheduled_at, reverse=True)
    return upcoming + past


@dataclass(frozen=True)
class PuskesmasCounts:
    """One puskesmas of a dinas's overview: its active follow-ups, how many are overdue, and how
    many escalated beyond the owner (level 2 and up: to the owner's parent or further)."""
    id: int
    name: str
    kota: str
    active: int
    overdue: int
    escalated: int


ESCALATED_LEVEL = 2


def area_overview(session, principal: Principal, now: datetime) -> list[PuskesmasCounts]:
    """A dinas's puskesmas side by side, worst first (most escalated, then most overdue): one
    grouped statement over the puskesmas in its area and their active follow-ups."""
    P, F = models.Puskesmas, models.FollowUp
    active = F.status.in_(ACTIVE)
    counts = (select(F.puskesmas_id, func.count().label("active"),
                     func.sum(case((F.due_at < now, 1), else_=0)).label("overdue"),
                     func.sum(case((F.escalation_level >= ESCALATED_LEVEL, 1), else_=0)).label("escalated"))
              .where(active, F.puskesmas_id.in_(puskesmas_in_area(principal.area_code)))
              .group_by(F.puskesmas_id).subquery())
    rows = session.execute(
        select(P.id, P.name, P.kota, func.coalesce(counts.c.active, 0), func.coalesce(counts.c.overdue, 0),
               func.coalesce(counts.c.escalated, 0))
        .outerjoin(counts, counts.c.puskesmas_id == P.id)
        .where(within_area(P.area_code, principal.area_code))
        .order_by(func.coalesce(counts.c.escalated, 0).desc(), func.coalesce(counts.c.overdue, 0).desc(),
                  func.coalesce(counts.c.active, 0).desc(), P.name)
        .limit(MAX_ROWS)).all()
    return [PuskesmasCounts(*row) for row in rows]


def proposals_of(session, principal: Principal, puskesmas_id: int) -> list[models.Proposal]:
    try:
        return proposals.list_proposals(session, principal, puskesmas_id=puskesmas_id, status_="proposed",
                                        limit=50, cursor=None).items
    except HTTPException:
        return []


def due_soon_window(session, puskesmas_id: int) -> timedelta:
    return reminders.load_contexts(session, {puskesmas_id})[puskesmas_id].policy.due_soon_before


def puskesmas_by_id(session, puskesmas_id: int | None) -> models.Puskesmas | None:
    """The puskesmas of a meeting or follow-up the reader may already see (no check of its own)."""
    return session.get(models.Puskesmas, puskesmas_id) if puskesmas_id else None


def timezone_of(session, puskesmas_id: int | None) -> str:
    found = puskesmas_by_id(session, puskesmas_id)
    return found.timezone if found else DEFAULT_TIMEZONE


def meeting_by_id(session, meeting_id: int) -> models.Meeting | None:
    """The meeting of a follow-up the reader may already see (no check of its own)."""
    return session.get(models.Meeting, meeting_id)
