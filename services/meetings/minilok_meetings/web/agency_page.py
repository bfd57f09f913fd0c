"""The agency's own page (`/agency`, "Tindak lanjut saya"): the follow-ups it owns or supports,
and its notification subscriptions, kept at the notifications service."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from minilok_shared.deps import SessionDep
from starlette.datastructures import FormData

from minilok_meetings.service_layer import agencies
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer.agencies import agency_names
from minilok_meetings.web import clients, forms
from minilok_meetings.web.admin_forms import readable_phone
from minilok_meetings.web.forms import FormDep, int_or_none
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, page, redirect, render

router = APIRouter(include_in_schema=False)

UNREACHABLE = ("Layanan pemberitahuan sedang tidak terjangkau; coba lagi sebentar lagi.",
               "The notifications service cannot be reached; try again in a moment.")

# What an agency may want to hear, in the words of minilok_shared.labels.EVENT_TYPES.
EVENT_CHOICES = ("followup.*", "followup.due_soon", "followup.overdue", "followup.escalated", "followup.completed",
                 "meeting.*")
# The target's name on the form, whichever channel is chosen.
SUBSCRIPTION_FIELDS = {"target": ("Tujuan", "Target"), "event_types": ("Peristiwa", "Events"),
                       "channel": ("Saluran", "Channel"), "language": ("Bahasa pesan", "Message language")}


def _agency_id(request: Request, db, user, form: FormData | None = None) -> int | None:
    """The agency a page or form is about; 403/404 (as the API answers) for one the user may not see."""
    if user.principal.role == "agency":
        return int(user.principal.agency_id)
    agency_id = int_or_none((form or {}).get("agency_id") or request.query_params.get("agency_id"))
    if agency_id is not None:
        agencies.get_agency(db, user.principal, agency_id)
    return agency_id


def _back(user, agency_id: int | None) -> str:
    return f"/agency?agency_id={agency_id}" if user.principal.role != "agency" else "/agency"


@router.get("/agency")
@page
def agency_page(request: Request, db: SessionDep, user):
    principal = user.principal
    lang = lang_of(request)
    _ = translator(lang)
    agency_id = _agency_id(request, db, user)
    if agency_id is None:
        current, _choices = reads.puskesmas_choice(db, principal, int_or_none(request.query_params.get("puskesmas_id")))
        return render(request, "agency.html", user, agency=None,
                      agencies=reads.agencies_of(db, principal, current.id if current else None))
    agency = agencies.get_agency(db, principal, agency_id)
    if principal.role == "agency":
        items = reads.followups(db, principal)
    else:
        items = reads.followups(db, principal, owner_agency_id=agency_id)
    owned = [f for f in items if f.owner_agency_id == agency_id]
    supported = [f for f in items if f.owner_agency_id != agency_id]
    subscriptions, sub_error = [], None
    try:
        with clients.notifications(request, user) as client:
            r = client.get("/subscriptions", params={"agency_id": agency_id, "limit": 100})
        if r.status_code == 200:
            subscriptions = r.json()["items"]
        else:
            sub_error = clients.error_detail(r, lang)
    except httpx.HTTPError:
        sub_error = _(*UNREACHABLE)
    names = agency_names(db, [f.owner_agency_id for f in items])
    # Times in the puskesmas's zone (an agency of none, a dinas, reads its follow-ups' puskesmas's).
    home = agency.puskesmas_id or (items[0].puskesmas_id if items else None)
    tz = reads.timezone_of(db, home) if home else None
    return render(request, "agency.html", user, agency=agency, owned=owned, supported=supported, names=names, tz=tz,
                  cards=reads.card_details(db, supported), phone=readable_phone,
                  subscriptions=subscriptions, sub_error=sub_error, event_choices=EVENT_CHOICES)


@router.post("/agency/subscriptions")
@action("/agency")
def add_subscription(request: Request, form: FormDep, db: SessionDep, user):
    lang = lang_of(request)
    _ = translator(lang)
    agency_id = _agency_id(request, db, user, form)
    body = forms.subscription(form, agency_id)
    back = _back(user, agency_id)
    try:
        with clients.notifications(request, user) as client:
            r = client.post("/subscriptions", json=body)
    except httpx.HTTPError:
        return redirect(request, back, _(*UNREACHABLE), "error")
    if r.status_code != 201:
        names = {code: _(*pair) for code, pair in SUBSCRIPTION_FIELDS.items()}
        return redirect(request, back, clients.error_detail(r, lang, names), "error")
    created = r.json()
    message = _("Langganan ditambahkan.", "Subscription added.")
    if created.get("secret"):
        message += " " + _("Rahasia webhook (simpan sekarang, hanya ditampilkan sekali): ",
                           "Webhook secret (store it now, shown once): ") + created["secret"]
    return redirect(request, back, message)


@router.post("/agency/subscriptions/{subscription_id}/delete")
@action("/agency")
def delete_subscription(request: Request, form: FormDep, subscription_id: int, db: SessionDep, user):
    lang = lang_of(request)
    _ = translator(lang)
    agency_id = _agency_id(request, db, user, form)
    back = _back(user, agency_id)
    try:
        with clients.notifications(request, user) as client:
            r = client.delete(f"/subscriptions/{subscription_id}")
    except httpx.HTTPError:
        return redirect(request, back, _(*UNREACHABLE), "error")
    if r.status_code not in (200, 204):
        return redirect(request, back, clients.error_detail(r, lang), "error")
    return redirect(request, back, _("Langganan dihapus.", "Subscription removed."))
