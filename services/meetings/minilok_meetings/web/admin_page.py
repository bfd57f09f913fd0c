"""The puskesmas's own settings ("Pengaturan", `/admin`): its agencies with their contacts and parent
chain, who may sign in, the escalation policy and the extra days off. Admins and puskesmas users
only; a puskesmas sees its own, an admin chooses the puskesmas. Every change goes through the
service layer with the user's principal (the API's rights); a form with an error comes back with
everything typed still in it and the sentence next to its field."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from fastapi import APIRouter, HTTPException, Request
from minilok_shared import labels
from minilok_shared.deps import SessionDep
from minilok_shared.errors import forbidden
from minilok_shared.localtime import format_day
from pydantic import ValidationError

from minilok_meetings import models
from minilok_meetings.domain.calendar import national_holidays
from minilok_meetings.schemas import PuskesmasPatch
from minilok_meetings.service_layer import agencies, escalation
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import puskesmas as puskesmas_service
from minilok_meetings.web import admin_forms, clients
from minilok_meetings.web.errors import field_errors
from minilok_meetings.web.forms import FormDep, int_or_none, local_path
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import page, redirect, render
from minilok_meetings.web.session import check_csrf

router = APIRouter(include_in_schema=False)

KIND_ORDER = list(labels.AGENCY_KINDS)


def _puskesmas(db, user, wanted: int | None) -> tuple[models.Puskesmas | None, list]:
    """The puskesmas these settings are about (a puskesmas user: its own, whatever is asked)."""
    if user.principal.role not in ("admin", "puskesmas"):
        raise forbidden("Pengaturan hanya untuk admin dan petugas puskesmas / settings are for admins and "
                        "puskesmas staff only")
    return reads.puskesmas_choice(db, user.principal, wanted)


def _wanted(request: Request, form=None) -> int | None:
    return int_or_none((form or {}).get("puskesmas_id") or request.query_params.get("puskesmas_id"))


def _suffix(user, current) -> str:
    """`?puskesmas_id=` for an admin (who chooses), nothing for a puskesmas user."""
    return f"?puskesmas_id={current.id}" if current is not None and user.principal.is_admin else ""


def _errors(db, exc: Exception, lang: str) -> dict[str, str]:
    """The form's field errors, after undoing the failed change; a 403 or 404 stays a page of its own."""
    db.rollback()
    if isinstance(exc, HTTPException) and exc.status_code in (403, 404):
        raise exc
    return field_errors(exc, lang)


def chain_path(db, agency: models.Agency) -> str:
    """"RT 03 › Kelurahan Baru Tengah › Kecamatan Balikpapan Barat": the agency, then where escalation goes."""
    return " › ".join(a.name for a in [agency, *agencies.parent_chain(db, agency)])


def _agency_rows(db, principal, current) -> list[models.Agency]:
    rows = reads.agencies_of(db, principal, current.id if current else None)
    return sorted(rows, key=lambda a: (a.puskesmas_id is None,
                                       KIND_ORDER.index(a.kind) if a.kind in KIND_ORDER else len(KIND_ORDER),
                                       a.name.casefold()))


def _may_edit(principal, agency: models.Agency) -> bool:
    return principal.is_admin or (principal.role == "puskesmas" and agency.puskesmas_id is not None)


def _areas(request: Request, user, current) -> list[tuple[str, str]] | None:
    """(code, name) of the puskesmas's area and the areas directly under it, from the indicators
    service; None when it cannot say (the form then takes a code)."""
    if current is None:
        return None
    try:
        with clients.indicators(request, user) as client:
            r = client.get(f"/areas/{current.area_code}")
    except httpx.HTTPError:
        return None
    if r.status_code != 200:
        return None
    area = r.json()
    return [(area["code"], area["name"]), *((c["code"], c["name"]) for c in area.get("children", []))]


# --- agencies ---------------------------------------------------------------------------------

@router.get("/admin")
@page
def agencies_page(request: Request, db: SessionDep, user):
    current, choices = _puskesmas(db, user, _wanted(request))
    rows = _agency_rows(db, user.principal, current)
    return render(request, "admin_agencies.html", user, current=current, choices=choices, section="agencies",
                  rows=[(a, chain_path(db, a), _may_edit(user.principal, a)) for a in rows],
                  suffix=_suffix(user, current))


def _agency_form(request, db, user, current, agency=None, values=None, errors=None, status_code=200,
                 contact=None, contact_errors=None):
    lang = lang_of(request)
    options = [a for a in _agency_rows(db, user.principal, current) if agency is None or a.id != agency.id]
    if values is None:
        values = ({"name": agency.name, "kind": agency.kind, "parent_id": str(agency.parent_id or ""),
                   "area_code": agency.area_code or ""} if agency else {"name": "", "kind": "", "parent_id": "",
                                                                          "area_code": ""})
    areas = _areas(request, user, current)
    if areas is not None and values["area_code"] and values["area_code"] not in {code for code, _ in areas}:
        areas.append((values["area_code"], values["area_code"]))
    return render(request, "admin_agency.html", user, status_code, current=current, section="agencies",
                  agency=agency, values=values, errors=errors or {}, parents=options,
                  kinds=labels.choices("agency_kind", lang), areas=areas, suffix=_suffix(user, current),
                  chain=chain_path(db, agency) if agency else "",
                  contact=contact or {"name": "", "role": "", "phone": "", "email": "", "can_sign_in": "1"},
                  contact_errors=contact_errors or {}, phone=admin_forms.readable_phone)


@router.get("/admin/agencies/new")
@page
def new_agency_page(request: Request, db: SessionDep, user):
    current, _choices = _puskesmas(db, user, _wanted(request))
    if current is None:
        raise forbidden("Belum ada puskesmas / there is no puskesmas yet")
    return _agency_form(request, db, user, current)


def _posted(request: Request, form, db, user):
    """A settings form's common start: its CSRF token checked, the page's language and translator,
    and the puskesmas it is about (403 when the user has none)."""
    check_csrf(user, form.get("csrf"))
    lang = lang_of(request)
    current, choices = _puskesmas(db, user, _wanted(request, form))
    if current is None:
        raise forbidden()
    return lang, translator(lang), current, choices


@router.post("/admin/agencies")
@page
def create_agency(request: Request, form: FormDep, db: SessionDep, user):
    lang, _, current, _choices = _posted(request, form, db, user)
    try:
        agency = agencies.create_agency(db, user.principal, admin_forms.agency_create(form, current.id))
    except (HTTPException, ValidationError) as exc:
        return _agency_form(request, db, user, current, values=admin_forms.agency_fields(form),
                            errors=_errors(db, exc, lang), status_code=422)
    return redirect(request, f"/admin/agencies/{agency.id}",
                    _(f"{agency.name} ditambahkan. Tambahkan kontaknya di bawah.",
                      f"{agency.name} added. Add its contacts below."))


def _agency_and_puskesmas(db, user, agency_id: int):
    if user.principal.role not in ("admin", "puskesmas"):
        raise forbidden()
    agency = agencies.managed_agency(db, user.principal, agency_id)
    current = reads.puskesmas_by_id(db, agency.puskesmas_id)
    return agency, current


@router.get("/admin/agencies/{agency_id}")
@page
def agency_page(request: Request, agency_id: int, db: SessionDep, user):
    agency, current = _agency_and_puskesmas(db, user, agency_id)
    return _agency_form(request, db, user, current, agency)


@router.post("/admin/agencies/{agency_id}")
@page
def edit_agency(request: Request, form: FormDep, agency_id: int, db: SessionDep, user):
    check_csrf(user, form.get("csrf"))
    lang = lang_of(request)
    agency, current = _agency_and_puskesmas(db, user, agency_id)
    try:
        agencies.patch_agency(db, user.principal, agency_id, admin_forms.agency_patch(form))
    except (HTTPException, ValidationError) as exc:
        errors = _errors(db, exc, lang)
        return _agency_form(request, db, user, current, db.get(models.Agency, agency_id),
                            values=admin_forms.agency_fields(form), errors=errors, status_code=422)
    return redirect(request, f"/admin/agencies/{agency_id}", translator(lang)("Lembaga disimpan.", "Agency saved."))


@router.post("/admin/agencies/{agency_id}/contacts")
@page
def add_contact(request: Request, form: FormDep, agency_id: int, db: SessionDep, user):
    check_csrf(user, form.get("csrf"))
    lang = lang_of(request)
    _ = translator(lang)
    agency, current = _agency_and_puskesmas(db, user, agency_id)
    try:
        contact = agencies.add_contact(db, user.principal, agency_id, admin_forms.contact_in(form, _))
    except (HTTPException, ValidationError) as exc:
        errors = _errors(db, exc, lang)
        return _agency_form(request, db, user, current, db.get(models.Agency, agency_id), status_code=422,
                            contact=admin_forms.contact_fields(form), contact_errors=errors)
    return redirect(request, f"/admin/agencies/{agency_id}#contacts",
                    _(f"Kontak {contact.name} ditambahkan.", f"Contact {contact.name} added."))


@router.post("/admin/agencies/{agency_id}/contacts/{contact_id}/delete")
@page
def remove_contact(request: Request, form: FormDep, agency_id: int, contact_id: int, db: SessionDep, user):
    check_csrf(user, form.get("csrf"))
    agencies.remove_contact(db, user.principal, agency_id, contact_id)
    return redirect(request, local_path(form.get("next"), f"/admin/agencies/{agency_id}#contacts"),
                    translator(lang_of(request))("Kontak dihapus.", "Contact removed."))


@router.post("/admin/agencies/{agency_id}/contacts/{contact_id}/sign-in")
@page
def switch_sign_in(request: Request, form: FormDep, agency_id: int, contact_id: int, db: SessionDep, user):
    check_csrf(user, form.get("csrf"))
    _ = translator(lang_of(request))
    contact = agencies.set_can_sign_in(db, user.principal, agency_id, contact_id, form.get("allowed") == "1")
    message = (_(f"{contact.name} boleh masuk ke Minilok.", f"{contact.name} may sign in to Minilok.")
               if contact.can_sign_in else
               _(f"{contact.name} tidak lagi boleh masuk.", f"{contact.name} may no longer sign in."))
    return redirect(request, local_path(form.get("next"), f"/admin/agencies/{agency_id}#contacts"), message)


# --- who may sign in --------------------------------------------------------------------------

@router.get("/admin/sign-in")
@page
def sign_in_page(request: Request, db: SessionDep, user):
    current, choices = _puskesmas(db, user, _wanted(request))
    people = [(agency, contact) for agency in _agency_rows(db, user.principal, current)
              if _may_edit(user.principal, agency)
              for contact in agency.contacts if contact.phone or contact.email]
    return render(request, "admin_sign_in.html", user, current=current, choices=choices, section="sign-in",
                  people=people, phone=admin_forms.readable_phone, suffix=_suffix(user, current))


# --- escalation policy ------------------------------------------------------------------------

def _policy_rows(policy) -> list[dict[str, str]]:
    return [{"index": str(i), "days": str(step.after.days), "unit": "working" if step.working_days else "calendar",
             "notify": step.notify, "urgent": "1" if step.urgent else ""} for i, step in enumerate(policy.steps)]


def _days_text(value: timedelta | None) -> str:
    return "" if value is None else str(value.days)


def _escalation_form(request, db, user, current, choices, values, rows, errors=None, status_code=200,
                     is_default=False):
    lang = lang_of(request)
    targets = labels.choices("escalation_target", lang)
    shared_and_own = _agency_rows(db, user.principal, current)
    targets += [(f"agency:{a.id}", a.name) for a in shared_and_own]
    # One empty row to add a step, numbered after the last one shown.
    used = [int(r["index"]) for r in rows]
    blank = {"index": str(max(used, default=-1) + 1), "days": "", "unit": "working", "notify": "", "urgent": ""}
    return render(request, "admin_escalation.html", user, status_code, current=current, choices=choices,
                  section="escalation", values=values, rows=rows,
                  blank=blank if len(rows) < admin_forms.MAX_STEPS else None,
                  targets=targets, target_names=dict(targets), errors=errors or {}, is_default=is_default,
                  suffix=_suffix(user, current))


@router.get("/admin/escalation")
@page
def escalation_page(request: Request, db: SessionDep, user):
    current, choices = _puskesmas(db, user, _wanted(request))
    if current is None:
        return render(request, "admin_escalation.html", user, current=None, choices=choices, section="escalation",
                      suffix="")
    policy, is_default = escalation.get_policy(db, user.principal, current.id)
    values = {"due_soon_days": _days_text(policy.due_soon_before), "repeat_days": _days_text(policy.repeat_every),
              "pause_days": _days_text(policy.progress_pause)}
    return _escalation_form(request, db, user, current, choices, values, _policy_rows(policy), is_default=is_default)


@router.post("/admin/escalation")
@page
def save_escalation(request: Request, form: FormDep, db: SessionDep, user):
    lang, _, current, choices = _posted(request, form, db, user)
    try:
        escalation.put_policy(db, user.principal, current.id, admin_forms.policy_in(form, _))
    except (HTTPException, ValidationError) as exc:
        values = {name: (form.get(name) or "").strip() for name in ("due_soon_days", "repeat_days", "pause_days")}
        return _escalation_form(request, db, user, current, choices, values, admin_forms.step_rows(form),
                                errors=_errors(db, exc, lang), status_code=422)
    return redirect(request, "/admin/escalation" + _suffix(user, current),
                    _("Aturan eskalasi disimpan; tindak lanjut yang masih terbuka mengikuti aturan baru.",
                      "Escalation policy saved; open follow-ups follow the new policy."))


# --- extra days off ---------------------------------------------------------------------------

def _year(request: Request) -> int:
    wanted = int_or_none(request.query_params.get("year"))
    return wanted if wanted and 2000 <= wanted <= 2100 else date.today().year


def _days_off_page(request, db, user, current, choices, typed="", errors=None, status_code=200):
    lang = lang_of(request)
    year = _year(request)
    extra = sorted(date.fromisoformat(d) if isinstance(d, str) else d for d in (current.extra_holidays or [])) \
        if current else []
    return render(request, "admin_days_off.html", user, status_code, current=current, choices=choices,
                  section="days-off", extra=[(d, format_day(d, lang)) for d in extra], typed=typed,
                  errors=errors or {}, year=year,
                  national=[format_day(d, lang) for d in sorted(national_holidays(year))],
                  suffix=_suffix(user, current))


@router.get("/admin/days-off")
@page
def days_off_page(request: Request, db: SessionDep, user):
    current, choices = _puskesmas(db, user, _wanted(request))
    return _days_off_page(request, db, user, current, choices)


def _save_days(db, user, current, days: set[date]):
    puskesmas_service.patch_puskesmas(db, user.principal, current.id, PuskesmasPatch(extra_holidays=sorted(days)))


def _extra_days(current) -> set[date]:
    return {date.fromisoformat(d) if isinstance(d, str) else d for d in (current.extra_holidays or [])}


@router.post("/admin/days-off")
@page
def add_day_off(request: Request, form: FormDep, db: SessionDep, user):
    lang, _, current, choices = _posted(request, form, db, user)
    try:
        day = admin_forms.day_off(form, _)
        _save_days(db, user, current, _extra_days(current) | {day})
    except (HTTPException, ValidationError) as exc:
        errors = _errors(db, exc, lang)
        if "extra_holidays" in errors:
            errors["day"] = errors.pop("extra_holidays")
        return _days_off_page(request, db, user, db.get(models.Puskesmas, current.id), choices,
                              typed=(form.get("day") or "").strip(), errors=errors, status_code=422)
    return redirect(request, "/admin/days-off" + _suffix(user, current),
                    _(f"Hari libur ditambahkan: {format_day(day, lang)}.", f"Day off added: {format_day(day, lang)}."))


@router.post("/admin/days-off/delete")
@page
def remove_day_off(request: Request, form: FormDep, db: SessionDep, user):
    lang, _, current, _choices = _posted(request, form, db, user)
    day = admin_forms.day_off(form, _)
    _save_days(db, user, current, _extra_days(current) - {day})
    return redirect(request, "/admin/days-off" + _suffix(user, current),
                    _(f"Hari libur dihapus: {format_day(day, lang)}.", f"Day off removed: {format_day(day, lang)}."))
