"""Errors as sentences a person understands, in the page's language: what the service functions
raise (HTTPException with a detail or a list of field errors, pydantic's ValidationError) and what
the other services answer (their JSON `detail`) turned into `{field: sentence}` to show next to
each field, and into one sentence for a flash message. No field codes, no `loc` lists, no status
codes, no English on an Indonesian page."""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException
from minilok_shared import labels
from pydantic import ValidationError

# Pydantic's error types in words ({...} filled from the error's ctx).
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("wajib diisi", "is required"),
    "string_too_short": ("wajib diisi", "is required"),
    "too_short": ("pilih paling sedikit {min_length}", "choose at least {min_length}"),
    "too_long": ("paling banyak {max_length} pilihan", "at most {max_length} choices"),
    "string_too_long": ("terlalu panjang (paling banyak {max_length} karakter)",
                        "is too long (at most {max_length} characters)"),
    "string_pattern_mismatch": ("bentuknya tidak sesuai", "is not in the expected form"),
    "string_type": ("harus berupa teks", "must be text"),
    "int_parsing": ("harus berupa angka bulat", "must be a whole number"),
    "int_type": ("harus berupa angka bulat", "must be a whole number"),
    "int_from_float": ("harus berupa angka bulat", "must be a whole number"),
    "float_parsing": ("harus berupa angka", "must be a number"),
    "float_type": ("harus berupa angka", "must be a number"),
    "decimal_parsing": ("harus berupa angka", "must be a number"),
    "bool_parsing": ("pilih ya atau tidak", "choose yes or no"),
    "greater_than": ("harus lebih dari {gt}", "must be more than {gt}"),
    "greater_than_equal": ("paling kecil {ge}", "must be at least {ge}"),
    "less_than": ("harus kurang dari {lt}", "must be less than {lt}"),
    "less_than_equal": ("paling besar {le}", "must be at most {le}"),
    "date_from_datetime_parsing": ("tanggal tidak valid (tulis hh/bb/tttt)", "is not a valid date (write dd/mm/yyyy)"),
    "date_from_datetime_inexact": ("tanggal tidak valid (tulis hh/bb/tttt)", "is not a valid date (write dd/mm/yyyy)"),
    "date_parsing": ("tanggal tidak valid (tulis hh/bb/tttt)", "is not a valid date (write dd/mm/yyyy)"),
    "date_type": ("tanggal tidak valid (tulis hh/bb/tttt)", "is not a valid date (write dd/mm/yyyy)"),
    "datetime_parsing": ("waktu tidak valid", "is not a valid time"),
    "datetime_from_date_parsing": ("waktu tidak valid", "is not a valid time"),
    "datetime_type": ("waktu tidak valid", "is not a valid time"),
    "time_parsing": ("jam tidak valid (tulis jj:mm)", "is not a valid time of day (write hh:mm)"),
    "literal_error": ("pilih salah satu dari daftar", "choose one from the list"),
    "enum": ("pilih salah satu dari daftar", "choose one from the list"),
    "url_parsing": ("bukan alamat web yang valid (mis. https://contoh.go.id/kabar)",
                    "is not a valid web address (e.g. https://example.org/news)"),
    "url_scheme": ("alamat web harus diawali http:// atau https://", "the web address must start with http:// or https://"),
    "url_type": ("bukan alamat web yang valid", "is not a valid web address"),
    "url_too_long": ("alamat web terlalu panjang", "the web address is too long"),
    "json_invalid": ("isian tidak terbaca, kirim ulang formulir", "could not be read, send the form again"),
    "json_type": ("isian tidak terbaca, kirim ulang formulir", "could not be read, send the form again"),
    "list_type": ("pilih dari daftar", "choose from the list"),
    "dict_type": ("isian tidak terbaca", "could not be read"),
    "extra_forbidden": ("tidak dikenal di formulir ini", "is not part of this form"),
    "value_error": ("{message}", "{message}"),
    "assertion_error": ("{message}", "{message}"),
}

# Field codes the services name, as the forms call them.
FIELDS: dict[str, tuple[str, str]] = {
    "title": ("Judul", "Title"),
    "description": ("Uraian", "Description"),
    "owner_agency_id": ("Penanggung jawab", "Owner"),
    "supporting_agency_ids": ("Lembaga pendukung", "Supporting agencies"),
    "agency_id": ("Lembaga", "Agency"),
    "parent_id": ("Lembaga induk", "Parent agency"),
    "puskesmas_id": ("Puskesmas", "Puskesmas"),
    "meeting_id": ("Lokakarya mini", "Mini workshop"),
    "due_at": ("Tenggat", "Due"),
    "due_date": ("Tenggat baru", "New due date"),
    "due_in_working_days": ("Hari kerja", "Working days"),
    "scheduled_at": ("Waktu", "Time"),
    "location": ("Tempat", "Place"),
    "kind": ("Jenis", "Kind"),
    "priority": ("Prioritas", "Priority"),
    "status": ("Status", "Status"),
    "percent": ("Persentase", "Percent"),
    "note": ("Catatan", "Note"),
    "reason": ("Alasan", "Reason"),
    "name": ("Nama", "Name"),
    "position": ("Jabatan", "Position"),
    "phone": ("Nomor telepon", "Phone number"),
    "email": ("Email", "Email"),
    "contacts": ("Kontak", "Contacts"),
    "area_code": ("Wilayah", "Area"),
    "indicator_code": ("Indikator", "Indicator"),
    "period": ("Periode", "Period"),
    "channel": ("Saluran", "Channel"),
    "target": ("Tujuan", "Target"),
    "event_types": ("Peristiwa", "Events"),
    "language": ("Bahasa pesan", "Message language"),
    "digest": ("Ringkasan", "Digest"),
    "fallback": ("Saluran cadangan", "Fallback channel"),
    "evidence_ids": ("Bukti", "Evidence"),
    "evidence_url": ("Tautan bukti", "Evidence link"),
    "notulen": ("Notulen", "Minutes"),
    "decisions": ("Keputusan", "Decisions"),
    "funding_source": ("Sumber dana", "Funding source"),
    "objective": ("Tujuan", "Objective"),
    "target_group": ("Sasaran", "Target group"),
    "success_indicator": ("Indikator keberhasilan", "Success indicator"),
    "cost_estimate": ("Biaya", "Cost"),
    "cost": ("Biaya", "Cost"),
    "budget": ("Anggaran", "Budget"),
    "code": ("Kode", "Code"),
    "timezone": ("Zona waktu", "Time zone"),
}

# "Tindak lanjut / follow-up 17 tidak ditemukan / not found" (minilok_shared.errors.not_found).
_NOT_FOUND = re.compile(r"^(?P<id>.+?) / (?P<en>.+?) (?P<ident>\S+) tidak ditemukan / not found$")
_NOT_FOUND_ONE = re.compile(r"^(?P<both>.+?) (?P<ident>\S+) tidak ditemukan / not found$")
_ONE_OF = re.compile(r"^harus salah satu dari / must be one of (?P<codes>.*)$")
# A status code a service message names ("berstatus done", "sudah accepted", "already published").
_STATUS_WORD = re.compile(r"\b(berstatus|sudah|already|is) (" + "|".join(labels.STATUSES) + r")\b")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def field_name(field: str, lang: str = "id") -> str:
    """The name of a field on the form ("owner_agency_id" → "Penanggung jawab"); "" when unknown."""
    pair = FIELDS.get(field)
    return _pick(pair, lang) if pair else ""


def _statuses_in_words(message: str, lang: str) -> str:
    return _STATUS_WORD.sub(lambda m: f"{m.group(1)} {labels.label('status', m.group(2), lang).lower()}", message)


def in_language(message: str, lang: str) -> str:
    """The page's half of a service's "bahasa Indonesia / English" message, with status codes in words."""
    message = message.strip()
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    found = _NOT_FOUND.match(message)
    if found:
        what = found["en"] if lang == "en" else found["id"]
        return f"{what[:1].upper()}{what[1:]} " + ("was not found" if lang == "en" else "tidak ditemukan")
    found = _NOT_FOUND_ONE.match(message)
    if found:
        return f"{found['both']} " + ("was not found" if lang == "en" else "tidak ditemukan")
    if _ONE_OF.match(message):
        return _pick(MESSAGES["literal_error"], lang)
    if " / " in message:
        indonesian, english = message.split(" / ", 1)
        message = english if lang == "en" else indonesian
    return _statuses_in_words(message, lang)


def _sentence(error: dict[str, Any], lang: str) -> str:
    kind = str(error.get("type", ""))
    if kind == "string_pattern_mismatch" and _field(error).endswith("url"):
        kind = "url_parsing"  # a web address checked by a pattern: say what a web address looks like
    pair = MESSAGES.get(kind)
    message = in_language(str(error.get("msg", "")), lang)
    if pair is None:
        return message
    ctx = {**(error.get("ctx") or {}), "message": message}
    try:
        return _pick(pair, lang).format(**ctx)
    except (KeyError, IndexError):
        return message


def _details(exc: Exception | Any) -> list[Any] | str:
    if isinstance(exc, HTTPException):
        return exc.detail if isinstance(exc.detail, list) else str(exc.detail)
    if isinstance(exc, ValidationError):
        return exc.errors(include_url=False)
    if isinstance(exc, list | str):  # a JSON `detail` another service answered
        return exc
    return str(exc)


def _field(error: dict[str, Any]) -> str:
    loc = [str(x) for x in error.get("loc", []) if x not in ("body", "query", "path")]
    return loc[0] if loc else ""


def field_errors(exc: Exception | list | str, lang: str = "id") -> dict[str, str]:
    """`{field: sentence}` for the errors that name a field ("" for those that do not). `exc` may
    also be the `detail` of another service's JSON answer."""
    details = _details(exc)
    if isinstance(details, str):
        return {"": in_language(details, lang)}
    out: dict[str, str] = {}
    for error in details:
        if isinstance(error, dict):
            out.setdefault(_field(error), _sentence(error, lang))
        else:
            out.setdefault("", in_language(str(error), lang))
    return out


def describe(exc: Exception | list | str, lang: str = "id", fields: dict[str, str] | None = None) -> str:
    """One sentence for a flash message: each error with the field's name in words (`fields` maps
    a field code to its label on the form; the common ones are in FIELDS), never the code."""
    parts = []
    for field, sentence in field_errors(exc, lang).items():
        name = (fields or {}).get(field) or field_name(field, lang)
        parts.append(f"{name}: {sentence}" if name else sentence)
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] if text else _pick(("Isian belum bisa disimpan.",
                                                           "The form could not be saved."), lang)
