"""Reads for the dashboard, through the same functions the API routes run (so the same access
rules and shapes), gathering every page of a list up to a sane cap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import HTTPException
from minilok_shared.auth import Principal
from minilok_shared.pagination import MAX_LIMIT

from minilok_meetings import models, reminders
from minilok_meetings.api import agencies as agencies_api
from minilok_meetings.api import followups as followups_api
from minilok_meetings.api import meetings as meetings_api
from minilok_meetings.api import proposals as proposals_api
from minilok_meetings.api import puskesmas as puskesmas_api
from minilok_meetings.api.schemas import FollowUpOut

MAX_ROWS = 2000


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


def followups(db, principal: Principal, *, status: str | None = None, owner_agency_id: int | None = None,
              puskesmas_id: int | None = None, meeting_id: int | None = None,
              overdue: bool | None = None) -> list[FollowUpOut]:
    return every(lambda **kw: followups_api.find_followups(db, principal, **kw), status_=status,
                 owner_agency_id=owner_agency_id, puskesmas_id=puskesmas_id, meeting_id=meeting_id,
                 overdue=overdue, due_before=None)


def active_followups(db, principal: Principal, **filters) -> list[FollowUpOut]:
    return [f for status in ("open", "in_progress") for f in followups(db, principal, status=status, **filters)]


def puskesmas_choice(db, principal: Principal, wanted: int | None) -> tuple[models.Puskesmas | None, list]:
    """The puskesmas a page is about, and the ones the user may switch to (admins: all)."""
    if principal.role == "puskesmas":
        own = puskesmas_api.get_puskesmas(int(principal.puskesmas_id), db, principal)
        return own, [own]
    if not principal.is_admin:
        return None, []
    choices = every(lambda **kw: puskesmas_api.list_puskesmas(db, principal, **kw))
    current = next((p for p in choices if p.id == wanted), choices[0] if choices else None)
    return current, choices


def agencies_of(db, principal: Principal, puskesmas_id: int | None) -> list[models.Agency]:
    """The agencies usable at a puskesmas: its own and the shared ones (dinas, BPJS...)."""
    rows = every(lambda **kw: agencies_api.list_agencies(db, principal, **kw), puskesmas_id=None, kind=None)
    return [a for a in rows if a.puskesmas_id in (None, puskesmas_id)] if puskesmas_id else rows


def meetings_of(db, principal: Principal, puskesmas_id: int) -> list[models.Meeting]:
    return every(lambda **kw: meetings_api.list_meetings(db, principal, **kw), puskesmas_id=puskesmas_id,
                 from_=None, to=None)


def open_meetings(db, principal: Principal, puskesmas_id: int, now: datetime) -> list[models.Meeting]:
    """Meetings whose agenda can still change, the next one first."""
    rows = [m for m in meetings_of(db, principal, puskesmas_id) if m.status != "published"]
    upcoming = sorted((m for m in rows if m.scheduled_at >= now), key=lambda m: m.scheduled_at)
    past = sorted((m for m in rows if m.scheduled_at < now), key=lambda m: m.scheduled_at, reverse=True)
    return upcoming + past


def proposals_of(db, principal: Principal, puskesmas_id: int) -> list[models.Proposal]:
    try:
        return proposals_api.list_proposals(db, principal, puskesmas_id=puskesmas_id, status_="proposed",
                                            limit=50, cursor=None).items
    except HTTPException:
        return []


def due_soon_window(db, puskesmas_id: int):
    return reminders.load_contexts(db, {puskesmas_id})[puskesmas_id].policy.due_soon_before
