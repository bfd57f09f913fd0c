"""Reading the puskesmas settings forms (`/admin`): an agency, a contact, the escalation policy and
a day off, each turned into the schema the service layer takes. A field that cannot be read raises
a 422 naming it, in the page's language, so the page shows the sentence next to that field."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import phonenumbers
from fastapi import HTTPException
from minilok_shared.errors import unprocessable
from pydantic import ValidationError
from starlette.datastructures import FormData

from minilok_meetings.schemas import AgencyCreate, AgencyPatch, ContactIn, PolicyIn, StepIn
from minilok_meetings.web.forms import blank_to_none, int_or_none

# The most steps the form shows (PolicyIn allows ten).
MAX_STEPS = 10


def agency_fields(form: FormData) -> dict[str, str]:
    """What was typed, to show again when the form comes back with an error."""
    return {name: (form.get(name) or "").strip() for name in ("name", "kind", "parent_id", "area_code")}


def agency_create(form: FormData, puskesmas_id: int) -> AgencyCreate:
    fields = agency_fields(form)
    return AgencyCreate(name=fields["name"], kind=fields["kind"], parent_id=int_or_none(fields["parent_id"]),
                        puskesmas_id=puskesmas_id, area_code=blank_to_none(fields["area_code"]))


def agency_patch(form: FormData) -> AgencyPatch:
    """The edit form sends every field; an empty parent or area clears it."""
    fields = agency_fields(form)
    return AgencyPatch(name=fields["name"], kind=fields["kind"], parent_id=int_or_none(fields["parent_id"]),
                       area_code=blank_to_none(fields["area_code"]))


def contact_fields(form: FormData) -> dict[str, str]:
    fields = {name: (form.get(name) or "").strip() for name in ("name", "role", "phone", "email")}
    fields["can_sign_in"] = "1" if form.get("can_sign_in") else ""
    return fields


def contact_in(form: FormData, _) -> ContactIn:
    fields = contact_fields(form)
    if fields["email"] and "@" not in fields["email"]:
        raise unprocessable("email", _("alamat email tidak valid (contoh: nama@contoh.id)",
                                       "not a valid email address (e.g. name@example.org)"))
    try:
        return ContactIn(name=fields["name"], role=blank_to_none(fields["role"]), phone=blank_to_none(fields["phone"]),
                         email=blank_to_none(fields["email"]), can_sign_in=bool(fields["can_sign_in"]))
    except ValidationError as exc:
        # EmailStr explains a bad address in English only; the other fields' errors are ours.
        if any(error["loc"][:1] == ("email",) for error in exc.errors()):
            raise unprocessable("email", _("alamat email tidak valid (contoh: nama@contoh.id)",
                                           "not a valid email address (e.g. name@example.org)")) from None
        raise


def readable_phone(e164: str | None) -> str:
    """"+6281255551234" as people write it at home: "0812-5555-1234" (another country: +1 202-...)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code != 62:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = "0" + str(number.national_number)
    if national.startswith("08") and len(national) >= 10:
        return f"{national[:4]}-{national[4:8]}-{national[8:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def step_rows(form: FormData) -> list[dict[str, str]]:
    """The step rows as typed (a row with no number of days is an empty row, left out)."""
    rows = []
    removed = set(form.getlist("step_remove"))
    for index in range(MAX_STEPS):
        days = (form.get(f"step-{index}-days") or "").strip()
        if f"{index}" in removed or not days and not form.get(f"step-{index}-notify"):
            continue
        rows.append({"index": str(index), "days": days, "unit": form.get(f"step-{index}-unit") or "working",
                     "notify": form.get(f"step-{index}-notify") or "",
                     "urgent": "1" if form.get(f"step-{index}-urgent") else ""})
    return rows


def _days(value: str, field: str, _, least: int = 0, blank_ok: bool = False) -> int | None:
    if blank_ok and not value.strip():
        return None
    number = int_or_none(value)
    if number is None or not least <= number <= 365:
        raise unprocessable(field, _(f"isi jumlah hari, angka bulat {least} sampai 365",
                                     f"give a number of days, a whole number from {least} to 365"))
    return number


def policy_in(form: FormData, _) -> PolicyIn:
    """The policy form: due-soon days, the steps in order of their days, repeat and pause."""
    errors = []
    steps = []
    for row in step_rows(form):
        field = f"step-{row['index']}"
        try:
            days = _days(row["days"], f"{field}-days", _)
            if not row["notify"]:
                raise unprocessable(f"{field}-notify", _("pilih siapa yang diberi tahu", "choose whom to notify"))
            steps.append(StepIn(after=timedelta(days=days), notify=row["notify"], working_days=row["unit"] == "working",
                                urgent=bool(row["urgent"])))
        except HTTPException as exc:
            errors.extend(exc.detail)
    if not steps and not errors:
        errors.append({"loc": ["body", "steps"], "type": "value_error",
                       "msg": _("tambahkan paling sedikit satu langkah", "add at least one step")})
    fields = {}
    for name, least, blank_ok in (("due_soon_days", 0, False), ("repeat_days", 1, True), ("pause_days", 0, True)):
        try:
            fields[name] = _days(form.get(name) or "", name, _, least, blank_ok)
        except HTTPException as exc:
            errors.extend(exc.detail)
    if errors:
        raise HTTPException(422, errors)
    steps.sort(key=lambda step: step.after)

    def duration(days: int | None) -> timedelta | None:
        return None if days is None else timedelta(days=days)

    return PolicyIn(due_soon_before=timedelta(days=fields["due_soon_days"]), steps=steps,
                    repeat_every=duration(fields["repeat_days"]), progress_pause=duration(fields["pause_days"]))


def day_off(form: FormData, _) -> date:
    """A date from the date input (yyyy-mm-dd) or typed by hand as people write it (dd/mm/yyyy)."""
    value = (form.get("day") or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise unprocessable("day", _("tanggal tidak valid; tulis hh/bb/tttt, misalnya 05/01/2026",
                                 "not a valid date; write dd/mm/yyyy, e.g. 05/01/2026"))
