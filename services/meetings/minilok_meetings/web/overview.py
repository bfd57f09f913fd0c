"""The puskesmas overview (`/`): coming and recent meetings, active follow-ups per agency, the
escalated ones, proposals waiting for a meeting; scheduling a meeting and accepting a proposal.
A dinas sees its puskesmas side by side instead."""

from __future__ import annotations

from collections import defaultdict

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep

from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import meetings, proposals
from minilok_meetings.service_layer.agencies import agency_names
from minilok_meetings.web import clients, forms
from minilok_meetings.web.forms import FormDep, int_or_none
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, page, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/")
@page
def overview(request: Request, db: SessionDep, user):
    principal = user.principal
    if principal.role == "agency":
        return RedirectResponse("/agency", status_code=303)
    if principal.is_dinas:
        return dinas_overview(request, db, user)
    current, choices = reads.puskesmas_choice(db, principal, int_or_none(request.query_params.get("puskesmas_id")))
    if current is None:
        return render(request, "overview.html", user, current=None, choices=choices)
    now = utcnow()
    scheduled = reads.meetings_of(db, principal, current.id)
    upcoming = sorted((m for m in scheduled if m.scheduled_at >= now), key=lambda m: m.scheduled_at)[:5]
    recent = [m for m in scheduled if m.scheduled_at < now][:5]
    active = reads.active_followups(db, principal, puskesmas_id=current.id)
    soon = reads.due_soon_window(db, current.id)
    per_agency: dict[int, dict[str, int]] = defaultdict(lambda: {"open": 0, "due_soon": 0, "overdue": 0})
    for f in active:
        bucket = "overdue" if f.is_overdue else "due_soon" if f.due_at - now <= soon else "open"
        per_agency[f.owner_agency_id][bucket] += 1
    escalated = sorted((f for f in active if f.escalation_level > 0),
                       key=lambda f: (-f.escalation_level, f.due_at))[:10]
    names = agency_names(db, [*per_agency, *(f.owner_agency_id for f in escalated)])
    rows = sorted(per_agency.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["due_soon"], names.get(kv[0], "")))
    return render(request, "overview.html", user, current=current, choices=choices, upcoming=upcoming, recent=recent,
                  per_agency=rows, names=names, escalated=escalated, cards=reads.card_details(db, escalated),
                  timezone=current.timezone,
                  proposals=reads.proposals_of(db, principal, current.id),
                  open_meetings=reads.open_meetings(db, principal, current.id, now),
                  totals={k: sum(v[k] for v in per_agency.values()) for k in ("open", "due_soon", "overdue")})


def dinas_overview(request: Request, db, user):
    """A dinas's puskesmas side by side (read only): active, overdue and escalated follow-ups each."""
    rows = reads.area_overview(db, user.principal, utcnow())
    totals = {k: sum(getattr(r, k) for r in rows) for k in ("active", "overdue", "escalated")}
    return render(request, "overview_dinas.html", user, rows=rows, totals=totals,
                  area=_area_name(request, user, {r.kota for r in rows}), many_kota=len({r.kota for r in rows}) > 1)


def _area_name(request: Request, user, kotas: set[str]) -> str:
    """The dinas's area by name ("Kota Balikpapan", from the indicators service's areas), never its
    code; the one kota of its puskesmas when the indicators service cannot say; else ""."""
    code = user.principal.area_code
    if code:
        try:
            with clients.indicators(request, user) as client:
                r = client.get(f"/areas/{code}")
            if r.status_code == 200 and r.json().get("name"):
                return r.json()["name"]
        except (httpx.HTTPError, ValueError):
            pass
    return next(iter(kotas)) if len(kotas) == 1 else ""


@router.post("/meetings")
@action("/")
def create_meeting(request: Request, form: FormDep, db: SessionDep, user):
    puskesmas_id = int_or_none(form.get("puskesmas_id"))
    body = forms.meeting_create(form, puskesmas_id, reads.timezone_of(db, puskesmas_id))
    meeting = meetings.create_meeting(db, user.principal, body)
    _ = translator(lang_of(request))
    return redirect(request, f"/meetings/{meeting.id}", _("Rapat dibuat.", "Meeting created."))


@router.post("/proposals/{proposal_id}/accept")
@action("/")
def accept_proposal(request: Request, form: FormDep, proposal_id: int, db: SessionDep, user):
    proposals.accept_proposal(db, user.principal, proposal_id, forms.proposal_accept(form))
    return translator(lang_of(request))("Usulan masuk agenda.", "Proposal added to the agenda.")
