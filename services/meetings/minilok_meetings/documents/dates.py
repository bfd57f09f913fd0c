"""Dates as a puskesmas reads them in a notulen: "Jumat, 20 Februari 2026 23.59 WIB"."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from minilok_meetings.domain.calendar import TIMEZONE_ABBREVIATIONS

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember")


def format_tanggal(day: date) -> str:
    """"Rabu, 18 Februari 2026"."""
    return f"{HARI[day.weekday()]}, {day.day} {BULAN[day.month - 1]} {day.year}"


def format_waktu(moment: datetime, tz: str) -> str:
    """An aware time in the puskesmas's timezone, Indonesian style (hours.minutes, WIB/WITA/WIT)."""
    local = moment.astimezone(ZoneInfo(tz))
    zone = TIMEZONE_ABBREVIATIONS.get(tz) or local.strftime("%Z")
    return f"{format_tanggal(local.date())} {local:%H.%M} {zone}"
