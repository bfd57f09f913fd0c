"""Human-readable messages for email, WhatsApp and SMS, from Jinja2 templates in Bahasa
Indonesia (default) and English: who, what, due when (the puskesmas's local time), how overdue,
and a link: to the follow-up's page, or, for its owning agency, its action link (`/a/{token}`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from minilok_shared.action_links import mint_action_token

if TYPE_CHECKING:
    from minilok_notifications.channels import Message
    from minilok_notifications.config import NotificationsSettings

DAYS = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
MONTHS = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
                 "November", "Desember"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December")}
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}

HEADLINES = {
    "followup.created": {"id": "Tindak lanjut baru", "en": "New follow-up"},
    "followup.updated": {"id": "Tindak lanjut diubah", "en": "Follow-up updated"},
    "followup.due_soon": {"id": "Tindak lanjut segera jatuh tempo", "en": "Follow-up due soon"},
    "followup.overdue": {"id": "Tindak lanjut terlambat", "en": "Follow-up overdue"},
    "followup.escalated": {"id": "Tindak lanjut dieskalasi", "en": "Follow-up escalated"},
    "followup.acknowledged": {"id": "Tindak lanjut diterima", "en": "Follow-up acknowledged"},
    "followup.progressed": {"id": "Kemajuan tindak lanjut", "en": "Follow-up progress"},
    "followup.extension_requested": {"id": "Permintaan perpanjangan", "en": "Extension requested"},
    "followup.completed": {"id": "Tindak lanjut selesai", "en": "Follow-up completed"},
    "followup.cancelled": {"id": "Tindak lanjut dibatalkan", "en": "Follow-up cancelled"},
    "followup.reopened": {"id": "Tindak lanjut dibuka kembali", "en": "Follow-up reopened"},
    "meeting.scheduled": {"id": "Lokakarya mini dijadwalkan", "en": "Meeting scheduled"},
    "meeting.minutes_published": {"id": "Notulen lokakarya mini terbit", "en": "Meeting minutes published"},
    "indicator.below_target": {"id": "Indikator di bawah target", "en": "Indicator below target"},
    "indicator.recovered": {"id": "Indikator kembali mencapai target", "en": "Indicator back on target"},
    "notification.test": {"id": "Uji coba notifikasi", "en": "Test notification"},
    "notification.digest": {"id": "Ringkasan harian", "en": "Daily digest"},
}


def format_local(when: datetime, tz: str, language: str) -> str:
    """"Jumat, 20 Februari 2026 23.59 WIB" / "Friday, 20 February 2026 23:59 WIB"."""
    local = when.astimezone(ZoneInfo(tz))
    sep = "." if language == "id" else ":"
    zone = ZONE_NAMES.get(tz, local.tzname())
    return (f"{DAYS[language][local.weekday()]}, {local.day} {MONTHS[language][local.month - 1]} {local.year} "
            f"{local.hour:02d}{sep}{local.minute:02d} {zone}")


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    short: str  # WhatsApp and SMS


# One rule for every HTML template (`*.html.j2`): `select_autoescape(["html"])` matched only
# names ending in `.html`, so no template here was escaped by it.
HTML_TEMPLATES = ("html.j2",)


@lru_cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("minilok_notifications", "templates"),
                       autoescape=select_autoescape(HTML_TEMPLATES, default_for_string=False, default=False),
                       trim_blocks=True, lstrip_blocks=True)


def one_line(text: str) -> str:
    """Control characters and runs of whitespace as single spaces: an email subject, a WhatsApp or
    SMS text (a newline in a title would otherwise make every email about it unsendable)."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())


# Events that ask the owner to act: their messages to the owning agency carry its action link.
OWNER_ACTION_EVENTS = frozenset({"followup.created", "followup.due_soon", "followup.overdue", "followup.escalated",
                                 "followup.reopened"})
ACTIVE_STATUSES = ("open", "in_progress")


def action_link(event: dict[str, Any], agency_id: int | None, secret: str, base_url: str) -> str | None:
    """`{base_url}/a/{token}` when the message goes to the follow-up's owning agency about an
    active follow-up, asking it to act; None for everyone else (they get the follow-up's page)."""
    followup = (event.get("data") or {}).get("followup") or {}
    due_at = _parse_time(followup.get("due_at")) if followup.get("due_at") else None
    if (event.get("type") not in OWNER_ACTION_EVENTS or agency_id is None or due_at is None
            or followup.get("status") not in ACTIVE_STATUSES or followup.get("id") is None
            or str(followup.get("owner_agency_id")) != str(agency_id)):
        return None
    try:
        token = mint_action_token(secret, int(followup["id"]), int(agency_id), due_at)
    except (TypeError, ValueError):
        return None
    return f"{base_url.rstrip('/')}/a/{token}"


def render_message(message: Message, settings: NotificationsSettings) -> Rendered:
    """What the email and gateway channels send: the message rendered, with the owner's action link."""
    link = action_link(message.event, message.agency_id, settings.minilok_secret, settings.public_base_url)
    return render(message.event, message.language, message.timezone, settings.public_base_url, action_link=link)


def context(event: dict[str, Any], language: str, tz: str, base_url: str,
            action_link: str | None = None) -> dict[str, Any]:
    language = language if language in ("id", "en") else "id"
    data = event.get("data") or {}
    followup = data.get("followup") or {}
    event_time = _parse_time(event.get("time"))
    due_at = _parse_time(followup.get("due_at")) if followup.get("due_at") else None
    overdue_days = None
    if due_at and event_time and event_time > due_at:
        overdue_days = max(1, (event_time - due_at).days)
    return {
        "lang": language,
        "event": event,
        "type": event.get("type"),
        "headline": HEADLINES.get(event.get("type"), {"id": event.get("type"), "en": event.get("type")})[language],
        "data": data,
        "followup": followup,
        "meeting": data.get("meeting") or {},
        "indicator": data.get("indicator") or {},
        "due": format_local(due_at, tz, language) if due_at else None,
        "overdue_days": overdue_days,
        "escalation_level": followup.get("escalation_level"),
        "link": f"{base_url.rstrip('/')}/follow-ups/{followup['id']}" if followup.get("id") else base_url,
        "action_link": action_link,
    }


def render(event: dict[str, Any], language: str, tz: str, base_url: str, action_link: str | None = None) -> Rendered:
    """Pure: the texts of one message; `action_link` (from `action_link()`) when it goes to the owner."""
    if event.get("type") == "notification.digest":
        return render_digest(event, language, tz, base_url)
    if event.get("type") == "auth.code_requested":
        return render_sign_in_code(event, language)
    ctx = context(event, language, tz, base_url, action_link)
    env = _environment()
    # Rendered once as text: the HTML template escapes it like any other value (an include would
    # keep the partial's own, text, escaping).
    ctx["facts"] = env.get_template("_facts.j2").render(ctx)
    return Rendered(
        subject=one_line(env.get_template("subject.txt.j2").render(ctx)),
        text=env.get_template("email.txt.j2").render(ctx),
        html=env.get_template("email.html.j2").render(ctx),
        short=one_line(env.get_template("short.txt.j2").render(ctx)),
    )


def render_sign_in_code(event: dict[str, Any], language: str) -> Rendered:
    """A sign-in code (a direct message): the code and how long it lasts, nothing else."""
    ctx = {"lang": language if language in ("id", "en") else "id", "code": (event.get("data") or {}).get("code")}
    env = _environment()
    text = env.get_template("sign_in_code.txt.j2").render(ctx)
    subject = "[Minilok] Kode masuk Anda" + (" / Your sign-in code" if ctx["lang"] == "en" else "")
    return Rendered(subject=subject, text=text, html=env.get_template("sign_in_code.html.j2").render(ctx),
                    short=one_line(text))


def render_digest(event: dict[str, Any], language: str, tz: str, base_url: str) -> Rendered:
    """One message listing every event gathered since the last digest."""
    items = [context(e, language, tz, base_url) for e in (event.get("data") or {}).get("events", [])]
    ctx = {**context(event, language, tz, base_url), "items": items, "count": len(items)}
    env = _environment()
    return Rendered(
        subject=one_line(env.get_template("digest_subject.txt.j2").render(ctx)),
        text=env.get_template("digest.txt.j2").render(ctx),
        html=env.get_template("digest.html.j2").render(ctx),
        short=one_line(env.get_template("digest_short.txt.j2").render(ctx)),
    )


GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
           "abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€")


def sms_parts(text: str) -> list[str]:
    """Split into SMS segments: 160 GSM-7 characters in one, 153 per part when concatenated
    (70 and 67 when the text needs UCS-2)."""
    gsm = all(c in GSM7 or c in GSM7_EXTENDED for c in text)
    single, multi = (160, 153) if gsm else (70, 67)
    units = [2 if gsm and c in GSM7_EXTENDED else 1 for c in text]
    if sum(units) <= single:
        return [text]
    parts, current, size = [], "", 0
    for char, unit in zip(text, units, strict=True):
        if size + unit > multi:
            parts.append(current)
            current, size = "", 0
        current += char
        size += unit
    if current:
        parts.append(current)
    return parts
