"""Errors as sentences a person understands, in the page's language: what the service functions
raise (HTTPException with a detail or a list of field errors, pydantic's ValidationError) turned
into `{field: sentence}` to show next to each field, and into one sentence for a flash message.
No field codes, no `loc` lists, no English on an Indonesian page."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError

# Pydantic's error types in words ({...} filled from the error's ctx).
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("wajib diisi", "is required"),
    "string_too_short": ("wajib diisi", "is required"),
    "string_too_long": ("terlalu panjang (paling banyak {max_length} karakter)",
                        "is too long (at most {max_length} characters)"),
    "int_parsing": ("harus berupa angka bulat", "must be a whole number"),
    "greater_than_equal": ("paling kecil {ge}", "must be at least {ge}"),
    "less_than_equal": ("paling besar {le}", "must be at most {le}"),
    "date_from_datetime_parsing": ("tanggal tidak valid", "is not a valid date"),
    "date_parsing": ("tanggal tidak valid", "is not a valid date"),
    "datetime_parsing": ("waktu tidak valid", "is not a valid time"),
    "literal_error": ("pilih salah satu dari daftar", "choose one from the list"),
    "value_error": ("{message}", "{message}"),
}


def _sentence(error: dict[str, Any], lang: str) -> str:
    pair = MESSAGES.get(str(error.get("type", "")))
    message = str(error.get("msg", ""))
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if " / " in message:  # "bahasa Indonesia / English" from our own validators
        indonesian, english = message.split(" / ", 1)
        message = english if lang == "en" else indonesian
    if pair is None:
        return message
    ctx = {**(error.get("ctx") or {}), "message": message}
    try:
        return (pair[1] if lang == "en" else pair[0]).format(**ctx)
    except (KeyError, IndexError):
        return message


def _details(exc: Exception) -> list[Any] | str:
    if isinstance(exc, HTTPException):
        return exc.detail if isinstance(exc.detail, list) else str(exc.detail)
    if isinstance(exc, ValidationError):
        return exc.errors(include_url=False)
    return str(exc)


def _field(error: dict[str, Any]) -> str:
    loc = [str(x) for x in error.get("loc", []) if x not in ("body", "query", "path")]
    return loc[0] if loc else ""


def field_errors(exc: Exception, lang: str = "id") -> dict[str, str]:
    """`{field: sentence}` for the errors that name a field ("" for those that do not)."""
    details = _details(exc)
    if isinstance(details, str):
        return {"": _split(details, lang)}
    out: dict[str, str] = {}
    for error in details:
        if isinstance(error, dict):
            out.setdefault(_field(error), _sentence(error, lang))
        else:
            out.setdefault("", str(error))
    return out


def _split(message: str, lang: str) -> str:
    if " / " in message:
        indonesian, english = message.split(" / ", 1)
        return english if lang == "en" else indonesian
    return message


def describe(exc: Exception, lang: str = "id", fields: dict[str, str] | None = None) -> str:
    """One sentence for a flash message: each error with the field's name in words (`fields` maps
    a field code to its label on the form), never the code."""
    parts = []
    for field, sentence in field_errors(exc, lang).items():
        name = (fields or {}).get(field)
        parts.append(f"{name}: {sentence}" if name else sentence)
    return "; ".join(parts)
