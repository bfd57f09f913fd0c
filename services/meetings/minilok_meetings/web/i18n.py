"""The dashboard's two languages (Bahasa Indonesia first, English second): the word tables, the
translator, the reader's language, and dates written in the puskesmas's own timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Request
from minilok_shared import labels
from minilok_shared.localtime import zone_name

from minilok_meetings.web.session import language

MONTHS = {"id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
          "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]}
# The tables live in minilok_shared.labels (one set of words for pages, PDF, XLSX and messages).
STATUS = labels.STATUSES
MEETING_KINDS = labels.MEETING_KINDS
PRIORITIES = labels.PRIORITIES
HISTORY = labels.HISTORY


def lang_of(request: Request) -> str:
    return language(request)


def translator(lang: str):
    def _(indonesian: str, english: str | None = None) -> str:
        return english if lang == "en" and english else indonesian

    return _


def label(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    pair = table.get(key or "")
    return (pair[1] if lang == "en" else pair[0]) if pair else (key or "")


def format_time(value: datetime | None, tz: str | None, lang: str, with_time: bool = True) -> str:
    if value is None:
        return "-"
    tz = tz or getattr(value.tzinfo, "key", None)
    local = value.astimezone(ZoneInfo(tz)) if tz else value
    text = f"{local.day} {MONTHS[lang][local.month - 1]} {local.year}"
    if with_time:
        text += f" {local:%H:%M}"
        if tz:
            text += f" {zone_name(tz)}"
    return text


def actor_label(actor: str, name: str | None, lang: str) -> str:
    """Who did something, as a person reads it: the agency or contact by name ("Kelurahan Baru
    Tengah (lewat tautan)"), else what kind of user it was; never "agency:17" or "system:scheduler"."""
    _ = translator(lang)
    if name:
        if actor.endswith(":link"):
            return f"{name} ({_('lewat tautan', 'through the link')})"
        if actor.endswith(":whatsapp"):
            return f"{name} ({_('lewat WhatsApp', 'through WhatsApp')})"
        return name
    if actor.startswith("system"):
        return _("Pengingat otomatis Minilok", "Minilok's automatic reminder")
    if actor.startswith(("puskesmas", "admin")):
        return _("Petugas puskesmas", "Puskesmas staff")
    if actor.startswith("dinas"):
        return _("Dinas kesehatan", "District health office")
    return _("Petugas", "Staff")
