"""The follow-up board (`/board`): the follow-ups in a column per status (overdue first, then by
due time), each card with its meeting and whom it has been escalated to; filtered by agency,
meeting and overdue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep
from minilok_shared.localtime import days_late

from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer.agencies import agency_names
from minilok_meetings.service_layer.extensions import pending_for
from minilok_meetings.web.forms import int_or_none
from minilok_meetings.web.render import page, render

router = APIRouter(include_in_schema=False)

COLUMNS = ("open", "in_progress", "done", "cancelled")


@router.get("/board")
@page
def board(request: Request, db: SessionDep, user):
    principal = user.principal
    q = request.query_params
    agency_id, meeting_id = int_or_none(q.get("agency_id")), int_or_none(q.get("meeting_id"))
    overdue = True if q.get("overdue") == "1" else None
    current, choices = reads.puskesmas_choice(db, principal, int_or_none(q.get("puskesmas_id")))
    items = reads.followups(db, principal, owner_agency_id=agency_id, meeting_id=meeting_id, overdue=overdue,
                           puskesmas_id=current.id if current and (principal.is_admin or principal.is_dinas) else None)
    columns = {status: reads.by_urgency([f for f in items if f.status == status]) for status in COLUMNS}
    agencies = reads.agencies_of(db, principal, current.id if current else None) if current else []
    meetings = reads.meetings_of(db, principal, current.id) if current else []
    names = agency_names(db, [f.owner_agency_id for f in items])
    pending = pending_for(db, [f.id for f in items if f.status in ACTIVE])
    now, timezone = utcnow(), current.timezone if current else None
    return render(request, "board.html", user, columns=columns, names=names, agencies=agencies, meetings=meetings,
                  pending=pending, cards=reads.card_details(db, items), timezone=timezone,
                  late=lambda f: days_late(f.due_at, now, timezone),
                  current=current, choices=choices, now=now,
                  filters={"agency_id": agency_id, "meeting_id": meeting_id, "overdue": overdue})
