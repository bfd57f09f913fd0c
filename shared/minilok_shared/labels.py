"""The one table of words for the codes Minilok stores: agency kinds, statuses, priorities, roles,
meeting kinds, event types, escalation targets, funding sources, channels and time zones, each in
Bahasa Indonesia and English. Pages, the minutes PDF, the XLSX and the messages all read their
labels here, so "Biasa" on the page is "Biasa" in the spreadsheet and in the WhatsApp text.

A table maps a code to `(Bahasa Indonesia, English)`; `label()` picks the reader's language and
falls back to a readable form of an unknown code (never the raw snake_case)."""

from __future__ import annotations

from collections.abc import Mapping

Pair = tuple[str, str]
Table = Mapping[str, Pair]

# In the order forms list them: the health system, government, security, then the community.
AGENCY_KINDS: Table = {
    "puskesmas": ("Puskesmas", "Puskesmas"),
    "dinas_kesehatan": ("Dinas Kesehatan", "District health office"),
    "kecamatan": ("Kecamatan", "Sub-district office"),
    "kelurahan": ("Kelurahan", "Urban village office"),
    "desa": ("Desa", "Village office"),
    "dinas_sosial": ("Dinas Sosial", "Social affairs office"),
    "dinas_pp": ("Dinas PP / KB", "Women's empowerment / family planning office"),
    "bpjs": ("BPJS Kesehatan", "BPJS (national health insurance)"),
    "sekolah": ("Sekolah", "School"),
    "koramil": ("Koramil", "Koramil (army sub-district command)"),
    "babinsa": ("Babinsa", "Babinsa (army village officer)"),
    "polsek": ("Polsek", "Polsek (police sector)"),
    "bhabinkamtibmas": ("Bhabinkamtibmas", "Bhabinkamtibmas (police village officer)"),
    "pkk": ("PKK", "PKK (family welfare movement)"),
    "lpm": ("LPM", "LPM (community empowerment board)"),
    "rw": ("RW", "RW (neighbourhood association)"),
    "rt": ("RT", "RT (neighbourhood unit)"),
    "posyandu": ("Posyandu", "Posyandu (village health post)"),
    "kader": ("Kader kesehatan", "Health cadre"),
    "tokoh_masyarakat": ("Tokoh masyarakat", "Community leader"),
    "csr": ("Mitra CSR", "CSR partner"),
    "other": ("Lainnya", "Other"),
}

FOLLOWUP_STATUSES: Table = {
    "open": ("Terbuka", "Open"),
    "in_progress": ("Dikerjakan", "In progress"),
    "done": ("Selesai", "Done"),
    "cancelled": ("Dibatalkan", "Cancelled"),
}
MEETING_STATUSES: Table = {
    "scheduled": ("Dijadwalkan", "Scheduled"),
    "published": ("Diterbitkan", "Published"),
    "cancelled": ("Dibatalkan", "Cancelled"),
}
PROPOSAL_STATUSES: Table = {
    "proposed": ("Diusulkan", "Proposed"),
    "accepted": ("Diterima", "Accepted"),
    "dismissed": ("Ditolak", "Dismissed"),
}
# Every status a page may show, whatever it belongs to (the codes do not clash in meaning).
STATUSES: Table = {**FOLLOWUP_STATUSES, **MEETING_STATUSES, **PROPOSAL_STATUSES}

PRIORITIES: Table = {"low": ("Rendah", "Low"), "normal": ("Biasa", "Normal"), "high": ("Tinggi", "High")}

MEETING_KINDS: Table = {
    "monthly_internal": ("Lokakarya Mini Bulanan", "Monthly Mini Workshop"),
    "quarterly_cross_sector": ("Lokakarya Mini Tribulanan Lintas Sektor", "Quarterly Cross-Sector Mini Workshop"),
    "other": ("Lokakarya Mini", "Mini Workshop"),
}

ROLES: Table = {
    "admin": ("Admin sistem", "System administrator"),
    "puskesmas": ("Petugas puskesmas", "Puskesmas staff"),
    "agency": ("Lembaga", "Agency"),
    "dinas": ("Dinas kesehatan", "District health office"),
}

# Event types as a subscriber chooses them and as a message's headline names them.
EVENT_TYPES: Table = {
    "followup.*": ("Semua kabar tindak lanjut", "All follow-up news"),
    "followup.created": ("Tindak lanjut baru", "New follow-up"),
    "followup.updated": ("Tindak lanjut diubah", "Follow-up updated"),
    "followup.due_soon": ("Tindak lanjut segera jatuh tempo", "Follow-up due soon"),
    "followup.overdue": ("Tindak lanjut terlambat", "Follow-up overdue"),
    "followup.escalated": ("Tindak lanjut diteruskan", "Follow-up escalated"),
    "followup.acknowledged": ("Tindak lanjut diterima", "Follow-up acknowledged"),
    "followup.progressed": ("Kemajuan tindak lanjut", "Follow-up progress"),
    "followup.extension_requested": ("Permintaan perpanjangan", "Extension requested"),
    "followup.completed": ("Tindak lanjut selesai", "Follow-up completed"),
    "followup.cancelled": ("Tindak lanjut dibatalkan", "Follow-up cancelled"),
    "followup.reopened": ("Tindak lanjut dibuka kembali", "Follow-up reopened"),
    "meeting.*": ("Semua kabar lokakarya mini", "All mini workshop news"),
    "meeting.scheduled": ("Undangan lokakarya mini", "Mini workshop invitation"),
    "meeting.updated": ("Lokakarya mini diperbarui", "Mini workshop updated"),
    "meeting.cancelled": ("Lokakarya mini dibatalkan", "Mini workshop cancelled"),
    "meeting.minutes_published": ("Notulen lokakarya mini terbit", "Mini workshop minutes published"),
    "indicator.*": ("Semua kabar indikator", "All indicator news"),
    "indicator.below_target": ("Indikator di bawah target", "Indicator below target"),
    "indicator.recovered": ("Indikator kembali mencapai target", "Indicator back on target"),
    "notification.failed": ("Pesan gagal terkirim", "Message not delivered"),
    "notification.test": ("Uji coba notifikasi", "Test notification"),
    "notification.digest": ("Ringkasan harian", "Daily digest"),
    "*": ("Semua kabar", "All news"),
}

# Who an escalation step tells (`notify` of the policy; "agency:<id>" is named by the agency).
ESCALATION_TARGETS: Table = {
    "owner": ("penanggung jawab", "the owner"),
    "owner_parent": ("atasan penanggung jawab", "the owner's parent agency"),
    "puskesmas": ("kepala puskesmas dan dinas kesehatan", "the puskesmas head and the district health office"),
}

FUNDING_SOURCES: Table = {
    "BOK": ("BOK", "BOK (health operational fund)"),
    "APBD": ("APBD", "APBD (regional budget)"),
    "APBN": ("APBN", "APBN (national budget)"),
    "dana_desa": ("Dana Desa", "Village fund"),
    "CSR": ("CSR", "CSR"),
    "swadaya": ("Swadaya masyarakat", "Community self-funded"),
    "other": ("Lainnya", "Other"),
}

CHANNELS: Table = {
    "email": ("Email", "Email"),
    "whatsapp": ("WhatsApp", "WhatsApp"),
    "sms": ("SMS", "SMS"),
    "webhook": ("Webhook (sistem lain)", "Webhook (another system)"),
}

ZONES: Table = {
    "Asia/Jakarta": ("WIB", "WIB"),
    "Asia/Makassar": ("WITA", "WITA"),
    "Asia/Jayapura": ("WIT", "WIT"),
}

# Levels of the indicators service's area hierarchy ("nasional" is the whole country).
AREA_LEVELS: Table = {
    "nasional": ("Nasional", "National"),
    "provinsi": ("Provinsi", "Province"),
    "kota": ("Kabupaten/Kota", "Regency/City"),
    "kecamatan": ("Kecamatan", "Sub-district"),
    "kelurahan": ("Kelurahan", "Urban village"),
    "desa": ("Desa", "Village"),
    "rw": ("RW", "RW (neighbourhood association)"),
    "rt": ("RT", "RT (neighbourhood unit)"),
    "posyandu": ("Posyandu", "Posyandu (village health post)"),
}

# What an indicator's value is counted in, after the number ("72,5 %", "25 per 100.000 penduduk").
INDICATOR_UNITS: Table = {
    "percent": ("%", "%"),
    "per_100k": ("per 100.000 penduduk", "per 100,000 population"),
    "per_1000": ("per 1.000", "per 1,000"),
    "count": ("", ""),
    "ratio": ("", ""),
}

LANGUAGES: Table = {"id": ("Bahasa Indonesia", "Indonesian"), "en": ("Bahasa Inggris", "English")}

# What happened to a follow-up, as its history lists it.
HISTORY: Table = {"created": ("Dibuat", "Created"), "start": ("Mulai dikerjakan", "Started"),
           "progress": ("Kemajuan", "Progress"), "complete": ("Selesai", "Completed"),
           "cancel": ("Dibatalkan", "Cancelled"), "reopen": ("Dibuka lagi", "Reopened"),
           "updated": ("Diubah", "Changed"),
           "due_soon": ("Segera jatuh tempo", "Due soon"), "overdue": ("Terlambat", "Overdue"),
           "escalated": ("Dieskalasi", "Escalated"), "acknowledged": ("Diterima", "Acknowledged"),
           "extension_requested": ("Minta perpanjangan", "Extension asked"),
           "extension_approved": ("Perpanjangan disetujui", "Extension approved"),
           "extension_refused": ("Perpanjangan ditolak", "Extension refused"), "note": ("Catatan", "Note")}

# What a minilok records of an earlier meeting's unfinished RTL ("Tindak lanjut minilok sebelumnya").
CARRY_OVER_OUTCOMES: Table = {
    "not_started": ("Belum dimulai", "Not started yet"),
    "in_progress": ("Sedang dikerjakan", "In progress"),
    "done": ("Selesai", "Done"),
}

# PWS (pemantauan wilayah setempat) status of an area for an indicator and period, from the
# target and the trend: the familiar legend, green, yellow, orange and red.
PWS_STATUSES: Table = {
    "baik": ("Baik", "Good"),
    "kurang": ("Kurang", "Slipping"),
    "cukup": ("Cukup", "Catching up"),
    "jelek": ("Jelek", "Poor"),
}

# By name, for templates: `label("agency_kind", a.kind, lang)`.
TABLES: dict[str, Table] = {
    "agency_kind": AGENCY_KINDS, "status": STATUSES, "followup_status": FOLLOWUP_STATUSES,
    "meeting_status": MEETING_STATUSES, "proposal_status": PROPOSAL_STATUSES, "priority": PRIORITIES,
    "meeting_kind": MEETING_KINDS, "role": ROLES, "event_type": EVENT_TYPES,
    "escalation_target": ESCALATION_TARGETS, "funding_source": FUNDING_SOURCES, "channel": CHANNELS,
    "zone": ZONES, "language": LANGUAGES, "history": HISTORY, "area_level": AREA_LEVELS,
    "indicator_unit": INDICATOR_UNITS, "pws_status": PWS_STATUSES, "carry_over_outcome": CARRY_OVER_OUTCOMES,
}


def _table(table: Table | str) -> Table:
    return TABLES[table] if isinstance(table, str) else table


def label(table: Table | str, code: str | None, lang: str = "id") -> str:
    """The word for `code` in `lang` ("en", else Bahasa Indonesia); an unknown code reads as
    words ("dinas_baru" → "dinas baru"), an empty one as ""."""
    if not code:
        return ""
    pair = _table(table).get(code)
    if pair is None:
        return code.replace("_", " ")
    return pair[1] if lang == "en" else pair[0]


def choices(table: Table | str, lang: str = "id", codes: list[str] | tuple[str, ...] | None = None
            ) -> list[tuple[str, str]]:
    """`(code, word)` pairs in the table's order (or in the order of `codes`), for a select or checkboxes."""
    table = _table(table)
    return [(code, label(table, code, lang)) for code in (codes if codes is not None else table)]
