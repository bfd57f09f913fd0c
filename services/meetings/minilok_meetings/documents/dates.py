"""Dates as a puskesmas reads them in a notulen: "Jumat, 20 Februari 2026 23.59 WIB"."""

from __future__ import annotations

from datetime import date, datetime

from minilok_shared.localtime import format_day, format_local


def format_tanggal(day: date) -> str:
    """"Rabu, 18 Februari 2026"."""
    return format_day(day, "id")


def format_waktu(moment: datetime, tz: str) -> str:
    """An aware time in the puskesmas's timezone, Indonesian style (hours.minutes, WIB/WITA/WIT)."""
    return format_local(moment, tz, "id")
