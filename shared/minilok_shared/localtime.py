"""Times as people read them, in the puskesmas's own zone and language: "Rabu, 20 Mei 2026 09.00 WIB"
(Bahasa Indonesia) or "Wednesday, 20 May 2026 09:00 WIB" — one set of words for every page, document
and message of every service."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DAYS = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
MONTHS = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
                 "November", "Desember"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December")}
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def _lang(language: str) -> str:
    return language if language in DAYS else "id"


def zone_name(tz: str | None) -> str:
    """WIB, WITA or WIT (else the zone's own abbreviation)."""
    if not tz:
        return ""
    return ZONE_NAMES.get(tz) or datetime.now(ZoneInfo(tz)).strftime("%Z")


def format_day(day: date, language: str = "id") -> str:
    """"Rabu, 20 Mei 2026" / "Wednesday, 20 May 2026"."""
    lang = _lang(language)
    return f"{DAYS[lang][day.weekday()]}, {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def format_local(when: datetime, tz: str | None, language: str = "id") -> str:
    """"Rabu, 20 Mei 2026 09.00 WIB" / "Wednesday, 20 May 2026 09:00 WIB" in zone `tz`."""
    lang = _lang(language)
    local = when.astimezone(ZoneInfo(tz)) if tz else when
    sep = "." if lang == "id" else ":"
    return f"{format_day(local.date(), lang)} {local.hour:02d}{sep}{local.minute:02d} {zone_name(tz)}".strip()


def format_period(period: str, language: str = "id") -> str:
    """A reporting period in words: "2026-02" → "Februari 2026", "2026Q1" → "Triwulan I 2026"
    ("Q1 2026"), "2026" as is; anything else unchanged."""
    lang, text = _lang(language), str(period or "")
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() and 1 <= int(text[5:]) <= 12:
        return f"{MONTHS[lang][int(text[5:]) - 1]} {text[:4]}"
    if len(text) == 6 and text[4] == "Q" and text[:4].isdigit() and text[5] in "1234":
        quarter = int(text[5])
        return f"Triwulan {'I II III IV'.split()[quarter - 1]} {text[:4]}" if lang == "id" else f"Q{quarter} {text[:4]}"
    return text


def days_late(due_at: datetime, now: datetime, tz: str | None) -> int:
    """Whole local days past the due date: 0 on the due day itself (even after the due time), 1 the
    day after, and so on; 0 before it is due."""
    zone = ZoneInfo(tz) if tz else None
    due_day = (due_at.astimezone(zone) if zone else due_at).date()
    today = (now.astimezone(zone) if zone else now).date()
    return max(0, (today - due_day).days)
