"""Dashboard pages: sign-in, the puskesmas overview, the follow-up board and one follow-up,
and the agency's own page ("Tindak lanjut saya"). Meetings and indicators have their modules."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from minilok_shared.auth import InvalidToken, TokensUnchecked
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep
from starlette.datastructures import FormData

from minilok_meetings import models
from minilok_meetings.api import agencies as agencies_api
from minilok_meetings.api import followups as followups_api
from minilok_meetings.api import meetings as meetings_api
from minilok_meetings.api.schemas import CompleteIn, MeetingCreate, ProgressIn, ReasonIn
from minilok_meetings.minutes import agency_names
from minilok_meetings.web import data
from minilok_meetings.web.common import (
    action,
    blank_to_none,
    int_or_none,
    lang_of,
    local_path,
    page,
    redirect,
    render,
    translator,
)
from minilok_meetings.web.session import sign_in, sign_out, web_user

router = APIRouter(include_in_schema=False)


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=1000)


FormDep = Annotated[FormData, Depends(read_form)]

EVENT_CHOICES = ("followup.*", "followup.due_soon", "followup.overdue", "followup.escalated", "followup.completed")


# --- sign-in ---------------------------------------------------------------------------------

@router.get("/login")
def login_page(request: Request):
    return render(request, "login.html", web_user(request), next=local_path(request.query_params.get("next"), "/"))


@router.post("/login")
def login(request: Request, form: FormDep):
    _ = translator(lang_of(request))
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        return render(request, "login.html", None, 403, error=_("Asal formulir tidak dikenal.", "Unknown form origin."))
    token = (form.get("token") or "").strip()
    target = local_path(form.get("next"), "/")
    response = RedirectResponse(target, status_code=303)
    try:
        sign_in(request, response, token)
    except InvalidToken:
        return render(request, "login.html", None, 401, next=target,
                      error=_("Token tidak sah, kedaluwarsa, atau dicabut.",
                              "The token is invalid, has expired or was revoked."))
    except TokensUnchecked:
        return render(request, "login.html", None, 503, next=target,
                      error=_("Layanan belum siap; coba lagi sebentar.", "Not ready yet; try again shortly."))
    return response


@router.post("/logout")
@action("/login")
def logout(request: Request, form: FormDep, user):
    response = RedirectResponse("/login", status_code=303)
    sign_out(request, response)
    return response


# --- overview --------------------------------------------------------------------------------

@router.get("/")
@page
def overview(request: Request, db: SessionDep, user):
    principal = user.principal
    if principal.role == "agency":
        return RedirectResponse("/agency", status_code=303)
    current, choices = data.puskesmas_choice(db, principal, int_or_none(request.query_params.get("puskesmas_id")))
    if current is None:
        return render(request, "overview.html", user, current=None, choices=choices)
    now = utcnow()
    meetings = data.meetings_of(db, principal, current.id)
    upcoming = sorted((m for m in meetings if m.scheduled_at >= now), key=lambda m: m.scheduled_at)[:5]
    recent = [m for m in meetings if m.scheduled_at < now][:5]
    active = data.active_followups(db, principal, puskesmas_id=current.id)
    soon = data.due_soon_window(db, current.id)
    per_agency: dict[int, dict[str, int]] = defaultdict(lambda: {"open": 0, "due_soon": 0, "overdue": 0})
    for f in active:
        bucket = "overdue" if f.is_overdue else "due_soon" if f.due_at - now <= soon else "open"
        per_agency[f.owner_agency_id][bucket] += 1
    escalated = sorted((f for f in active if f.escalation_level > 0),
                       key=lambda f: (-f.escalation_level, f.due_at))[:10]
    names = agency_names(db, [*per_agency, *(f.owner_agency_id for f in escalated)])
    rows = sorted(per_agency.items(), key=lambda kv: (-kv[1]["overdue"], -kv[1]["due_soon"], names.get(kv[0], "")))
    return render(request, "overview.html", user, current=current, choices=choices, upcoming=upcoming, recent=recent,
                  per_agency=rows, names=names, escalated=escalated,
                  proposals=data.proposals_of(db, principal, current.id),
                  open_meetings=data.open_meetings(db, principal, current.id, now),
                  totals={k: sum(v[k] for v in per_agency.values()) for k in ("open", "due_soon", "overdue")})


@router.post("/meetings")
@action("/")
def create_meeting(request: Request, form: FormDep, db: SessionDep, user):
    from minilok_meetings.web.meeting import local_datetime

    puskesmas_id = int_or_none(form.get("puskesmas_id"))
    puskesmas = db.get(models.Puskesmas, puskesmas_id) if puskesmas_id else None
    scheduled_at = local_datetime(form.get("scheduled_at"), puskesmas.timezone if puskesmas else "Asia/Jakarta")
    body = MeetingCreate(puskesmas_id=puskesmas_id or 0, kind=form.get("kind") or "", title=form.get("title") or "",
                         scheduled_at=scheduled_at, location=blank_to_none(form.get("location")))
    meeting = meetings_api.create_meeting(body, db, user.principal)
    _ = translator(lang_of(request))
    return redirect(request, f"/meetings/{meeting.id}", _("Rapat dibuat.", "Meeting created."))


# --- follow-up board and one follow-up -------------------------------------------------------

@router.get("/board")
@page
def board(request: Request, db: SessionDep, user):
    principal = user.principal
    q = request.query_params
    agency_id, meeting_id = int_or_none(q.get("agency_id")), int_or_none(q.get("meeting_id"))
    overdue = True if q.get("overdue") == "1" else None
    current, choices = data.puskesmas_choice(db, principal, int_or_none(q.get("puskesmas_id")))
    items = data.followups(db, principal, owner_agency_id=agency_id, meeting_id=meeting_id, overdue=overdue,
                           puskesmas_id=current.id if current and principal.is_admin else None)
    columns = {status: [f for f in items if f.status == status] for status in ("open", "in_progress", "done",
                                                                               "cancelled")}
    agencies = data.agencies_of(db, principal, current.id if current else None) if current else []
    meetings = data.meetings_of(db, principal, current.id) if current else []
    names = agency_names(db, [f.owner_agency_id for f in items])
    return render(request, "board.html", user, columns=columns, names=names, agencies=agencies, meetings=meetings,
                  current=current, choices=choices, now=utcnow(),
                  filters={"agency_id": agency_id, "meeting_id": meeting_id, "overdue": overdue})


@router.get("/follow-ups/{followup_id}")
@page
def followup_page(request: Request, followup_id: int, db: SessionDep, user):
    principal = user.principal
    followup = followups_api.fetch_followup(db, principal, followup_id)
    history = followups_api.followup_history(followup_id, db, principal, limit=200, cursor=None).items
    meeting = db.get(models.Meeting, followup.meeting_id)
    escalated_to = [a for h in history for a in (h.data or {}).get("escalated_to_agency_ids") or []]
    names = agency_names(db, [followup.owner_agency_id, *followup.supporting_agency_ids, *escalated_to])
    tz = db.get(models.Puskesmas, followup.puskesmas_id).timezone
    return render(request, "followup.html", user, f=followup, history=history, names=names, meeting=meeting, tz=tz,
                  can_manage=principal.is_admin or principal.puskesmas_id == str(followup.puskesmas_id),
                  is_owner=principal.agency_id == str(followup.owner_agency_id))


@router.post("/follow-ups/{followup_id}/{verb}")
@action("/follow-ups/{followup_id}")
def followup_action(request: Request, form: FormDep, followup_id: int, verb: str, db: SessionDep, user):
    principal = user.principal
    _ = translator(lang_of(request))
    if verb == "start":
        followups_api.start_followup(followup_id, db, principal)
        return _("Mulai dikerjakan.", "Started.")
    if verb == "progress":
        body = ProgressIn(note=form.get("note") or "", percent=int_or_none(form.get("percent")),
                          evidence_url=blank_to_none(form.get("evidence_url")))
        followups_api.post_progress(followup_id, body, db, principal)
        return _("Kemajuan dicatat.", "Progress recorded.")
    if verb == "complete":
        body = CompleteIn(note=form.get("note") or "", evidence_url=blank_to_none(form.get("evidence_url")))
        # Completing straight from "open" is two legal moves: start, then complete.
        if followups_api.fetch_followup(db, principal, followup_id).status == "open":
            followups_api.start_followup(followup_id, db, principal)
        followups_api.complete_followup(followup_id, body, db, principal)
        return _("Tindak lanjut selesai.", "Follow-up completed.")
    if verb in ("cancel", "reopen"):
        body = ReasonIn(reason=form.get("reason") or "")
        (followups_api.cancel_followup if verb == "cancel" else followups_api.reopen_followup)(
            followup_id, body, db, principal)
        return _("Status diubah.", "Status changed.")
    return redirect(request, f"/follow-ups/{followup_id}", _("Aksi tidak dikenal.", "Unknown action."), "error")


# --- the agency's own page -------------------------------------------------------------------

def _notifications(request: Request, user) -> httpx.Client:
    return httpx.Client(base_url=request.app.state.settings.notifications_url + "/api/v1", timeout=10,
                        headers={"Authorization": f"Bearer {user.token}"})


def _agency_id(request: Request, db, user, form: FormData | None = None) -> int | None:
    """The agency a page or form is about; 403/404 (as the API answers) for one the user may not see."""
    if user.principal.role == "agency":
        return int(user.principal.agency_id)
    agency_id = int_or_none((form or {}).get("agency_id") or request.query_params.get("agency_id"))
    if agency_id is not None:
        agencies_api.get_agency(agency_id, db, user.principal)
    return agency_id


@router.get("/agency")
@page
def agency_page(request: Request, db: SessionDep, user):
    principal = user.principal
    _ = translator(lang_of(request))
    agency_id = _agency_id(request, db, user)
    if agency_id is None:
        current, _choices = data.puskesmas_choice(db, principal, int_or_none(request.query_params.get("puskesmas_id")))
        return render(request, "agency.html", user, agency=None,
                      agencies=data.agencies_of(db, principal, current.id if current else None))
    agency = agencies_api.get_agency(agency_id, db, principal)
    if principal.role == "agency":
        items = data.followups(db, principal)
    else:
        items = data.followups(db, principal, owner_agency_id=agency_id)
    owned = [f for f in items if f.owner_agency_id == agency_id]
    supported = [f for f in items if f.owner_agency_id != agency_id]
    subscriptions, sub_error = [], None
    try:
        with _notifications(request, user) as client:
            r = client.get("/subscriptions", params={"agency_id": agency_id, "limit": 100})
        if r.status_code == 200:
            subscriptions = r.json()["items"]
        else:
            sub_error = f"{r.status_code}: {_detail(r)}"
    except httpx.HTTPError as exc:
        sub_error = (_("Layanan notifikasi tidak terjangkau", "The notifications service is unreachable")
                     + f" ({type(exc).__name__})")
    names = agency_names(db, [f.owner_agency_id for f in items])
    return render(request, "agency.html", user, agency=agency, owned=owned, supported=supported, names=names,
                  subscriptions=subscriptions, sub_error=sub_error, event_choices=EVENT_CHOICES)


@router.post("/agency/subscriptions")
@action("/agency")
def add_subscription(request: Request, form: FormDep, db: SessionDep, user):
    _ = translator(lang_of(request))
    agency_id = _agency_id(request, db, user, form)
    body = {"agency_id": agency_id, "channel": form.get("channel"), "target": (form.get("target") or "").strip(),
            "event_types": form.getlist("event_types") or ["followup.*"], "language": form.get("language") or "id"}
    back = f"/agency?agency_id={agency_id}" if user.principal.role != "agency" else "/agency"
    try:
        with _notifications(request, user) as client:
            r = client.post("/subscriptions", json=body)
    except httpx.HTTPError as exc:
        return redirect(request, back, _("Layanan notifikasi tidak terjangkau", "Notifications unreachable")
                        + f" ({type(exc).__name__})", "error")
    if r.status_code != 201:
        return redirect(request, back, f"{r.status_code}: {_detail(r)}", "error")
    created = r.json()
    message = _("Langganan ditambahkan.", "Subscription added.")
    if created.get("secret"):
        message += " " + _("Rahasia webhook (simpan sekarang, hanya ditampilkan sekali): ",
                           "Webhook secret (store it now, shown once): ") + created["secret"]
    return redirect(request, back, message)


@router.post("/agency/subscriptions/{subscription_id}/delete")
@action("/agency")
def delete_subscription(request: Request, form: FormDep, subscription_id: int, db: SessionDep, user):
    _ = translator(lang_of(request))
    agency_id = _agency_id(request, db, user, form)
    back = f"/agency?agency_id={agency_id}" if user.principal.role != "agency" else "/agency"
    try:
        with _notifications(request, user) as client:
            r = client.delete(f"/subscriptions/{subscription_id}")
    except httpx.HTTPError as exc:
        return redirect(request, back, f"{type(exc).__name__}", "error")
    if r.status_code not in (200, 204):
        return redirect(request, back, f"{r.status_code}: {_detail(r)}", "error")
    return redirect(request, back, _("Langganan dihapus.", "Subscription removed."))


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:300]
    if isinstance(detail, list):
        return "; ".join(f"{'.'.join(str(x) for x in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail
                         if isinstance(d, dict))
    return str(detail)
