"""Messages people read (email, WhatsApp, SMS, digest), in Bahasa Indonesia (default) or English:
names never ids, times in the puskesmas's zone, statuses in words, how late in local days, what
the reader should do next, and a link: the follow-up's page, or for its owner its action link."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from minilok_shared import localtime
from minilok_shared.action_links import mint_action_token
from minilok_shared.localtime import format_local

from minilok_notifications.channels.phrases import (
    CHANNELS,
    HEADLINES,
    MEETING_KIND_FALLBACK,
    MEETING_KINDS,
    NEXT_STEPS,
    STATUSES,
    UNINVITED_HEADLINE,
    UNITS,
    UNITS_EN,
    UNKNOWN_HEADLINE,
    WHY,
)

if TYPE_CHECKING:
    from minilok_notifications.channels import Message
    from minilok_notifications.config import NotificationsSettings

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
SYSTEM_ACTORS = ("system", "minilok", "scheduler")


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
    """What the email and gateway channels send: the message rendered for its reader (the
    subscribing agency), with the owner's action link (in a digest, one per item)."""
    def link(event: dict[str, Any]) -> str | None:
        return action_link(event, message.agency_id, settings.minilok_secret, settings.public_base_url)

    return render(message.event, message.language, message.timezone, settings.public_base_url,
                  action_link=link(message.event), agency_id=message.agency_id, link_for=link)


# --- words ------------------------------------------------------------------------------------

def format_date(day: date, language: str) -> str:
    """"Minggu, 15 Maret 2026" / "Sunday, 15 March 2026"."""
    return localtime.format_day(day, language)


def join_names(names: list[str], language: str) -> str:
    """"A", "A dan B", "A, B dan C" (English: "and")."""
    word = " dan " if language == "id" else " and "
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + word + names[-1]


def format_number(value: Any, language: str) -> str:
    """12.5 as "12,5" in Bahasa Indonesia; whole numbers without decimals."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.0f}" if number == int(number) else f"{number:,.1f}"
    if language == "id":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def lateness(due_at: datetime, at: datetime, tz: str, language: str) -> tuple[int, str]:
    """How late at `at`, in whole local days: (days, words). On the due day itself "jatuh tempo
    hari ini" (not "terlambat 1 hari" a second after the time); before it, how many days are left
    (days negative)."""
    zone = ZoneInfo(tz)
    days = (at.astimezone(zone).date() - due_at.astimezone(zone).date()).days
    if days == 0:
        return 0, "jatuh tempo hari ini" if language == "id" else "due today"
    if days < 0 and at <= due_at:
        if days == -1:
            return -1, "jatuh tempo besok" if language == "id" else "due tomorrow"
        return days, f"jatuh tempo {-days} hari lagi" if language == "id" else f"due in {-days} days"
    if days > 0 and at > due_at:
        return days, (f"terlambat {days} hari" if language == "id"
                      else f"{days} day{'s' if days != 1 else ''} late")
    return 0, "jatuh tempo hari ini" if language == "id" else "due today"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(items: Any) -> list[str]:
    return [str(i["name"]) for i in items if isinstance(i, dict) and i.get("name")] if isinstance(items, list) else []


def _ids(items: Any) -> set[str]:
    if not isinstance(items, list):
        return set()
    return {str(i.get("id")) if isinstance(i, dict) else str(i) for i in items}


def _named(items: Any, agency_id: str) -> str | None:
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and str(item.get("id")) == agency_id and item.get("name"):
            return str(item["name"])
    return None


# --- who reads ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reader:
    """Who the message is for, as far as the event tells: "owner", "supporter", "escalated"
    (an agency the follow-up escalated to), "invited" (to a meeting), "uninvited" (just taken off a
    meeting's list) or "puskesmas" (anyone who follows the puskesmas: its own staff, a dinas)."""

    role: str
    name: str | None = None


def reader_of(event: dict[str, Any], agency_id: int | None) -> Reader:
    data = event.get("data") or {}
    followup = data.get("followup") or {}
    meeting = data.get("meeting") or {}
    if agency_id is None:
        return Reader("puskesmas")
    me = str(agency_id)
    if followup:
        escalated = data.get("escalated_to_agencies")
        if str(followup.get("owner_agency_id")) == me:
            return Reader("owner", followup.get("owner_agency_name"))
        if me in _ids(data.get("escalated_to_agency_ids")) | _ids(escalated):
            return Reader("escalated", _named(escalated, me))
        supporters = followup.get("supporting_agencies")
        if me in _ids(followup.get("supporting_agency_ids")) | _ids(supporters):
            return Reader("supporter", _named(supporters, me))
    if meeting:
        invited = meeting.get("invited_agencies")
        if me in _ids(meeting.get("invited_agency_ids")) | _ids(invited):
            return Reader("invited", _named(invited, me))
        uninvited = meeting.get("uninvited_agencies")
        if me in _ids(meeting.get("uninvited_agency_ids")) | _ids(uninvited):
            return Reader("uninvited", _named(uninvited, me))
    return Reader("puskesmas")


def uninvited_reader(event: dict[str, Any], agency_id: int | None) -> bool:
    """Whether this message goes to an agency the event takes off the meeting's list: its calendar
    gets a cancellation, not an update."""
    return event.get("type") == "meeting.updated" and reader_of(event, agency_id).role == "uninvited"


# --- what one message says ---------------------------------------------------------------------

def context(event: dict[str, Any], language: str, tz: str, base_url: str, action_link: str | None = None,
            agency_id: int | None = None) -> dict[str, Any]:
    """Everything the templates show, in words: headline, greeting, what happened (`intro`),
    the facts as (label, value) rows, what to do next, and the link."""
    lang = language if language in ("id", "en") else "id"
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    type_ = str(event.get("type") or "")
    followup = data.get("followup") if isinstance(data.get("followup"), dict) else {}
    meeting = data.get("meeting") if isinstance(data.get("meeting"), dict) else {}
    tz = str((followup or meeting).get("timezone") or tz or "Asia/Jakarta")
    try:
        ZoneInfo(tz)
    except (ValueError, KeyError):
        tz = "Asia/Jakarta"
    reader = reader_of(event, agency_id)
    base = base_url.rstrip("/")
    ctx: dict[str, Any] = {
        "lang": lang, "type": type_, "event": event, "data": data, "followup": followup, "meeting": meeting,
        "headline": HEADLINES.get(type_, UNKNOWN_HEADLINE)[lang], "reader": reader, "facts": [],
        "intro": "", "next_step": "", "action_link": action_link, "link": base or "/",
        "link_label": "Buka Minilok" if lang == "id" else "Open Minilok", "due": None, "late": None,
        "overdue_days": None, "subject_topic": "",
    }
    puskesmas = (followup or meeting).get("puskesmas_name")
    ctx["puskesmas"] = puskesmas
    words = {"puskesmas": puskesmas or ("puskesmas" if lang == "id" else "the puskesmas")}
    if followup:
        _followup_context(ctx, type_, followup, data, event, lang, tz, base, reader, words)
    elif meeting:
        _meeting_context(ctx, type_, meeting, data, lang, tz, base, reader, words)
    elif type_.startswith("indicator."):
        _indicator_context(ctx, type_, data, lang, base)
    elif type_ == "notification.failed":
        _failed_context(ctx, data, lang, tz)
    elif type_ == "notification.test":
        ctx["intro"] = ("Ini pesan uji coba dari Minilok. Bila Bapak/Ibu menerimanya, langganan ini berfungsi."
                        if lang == "id" else
                        "This is a test message from Minilok. If you receive it, this subscription works.")
    steps = NEXT_STEPS.get(type_, {})
    step = steps.get(reader.role) or steps.get("other")
    ctx["next_step"] = step[lang].format(**words) if step else ""
    if reader.name:
        ctx["greeting"] = f"Yth. Bapak/Ibu di {reader.name}," if lang == "id" else f"Dear colleagues at {reader.name},"
    else:
        ctx["greeting"] = "Yth. Bapak/Ibu," if lang == "id" else "Dear colleague,"
    ctx["why"] = WHY[reader.role][lang].format(**words) if (followup or meeting) else ""
    if action_link:
        ctx["action_label"] = ("Tanggapi di sini (terima, laporkan kemajuan, selesai, atau minta perpanjangan)"
                               if lang == "id" else
                               "Respond here (acknowledge, report progress, complete, or ask for more time)")
    return ctx


def _row(ctx: dict[str, Any], id_label: str, en_label: str, value: Any) -> None:
    if value not in (None, "", []):
        ctx["facts"].append((id_label if ctx["lang"] == "id" else en_label, str(value)))


def _followup_context(ctx, type_, followup, data, event, lang, tz, base, reader, words) -> None:
    number = followup.get("id")
    ref = (f"RTL no. {number}" if lang == "id" else f"follow-up no. {number}") if number is not None else (
        "RTL" if lang == "id" else "follow-up")
    title = one_line(str(followup.get("title") or ""))
    named_ref = f'{ref} "{title}"' if title else ref
    owner_name = followup.get("owner_agency_name")
    owner = owner_name or ("penanggung jawab" if lang == "id" else "the owner")
    if reader.role == "owner":
        owner_ref = "lembaga Bapak/Ibu" if lang == "id" else "your agency"
    else:
        owner_ref = owner
    supporters = _names(followup.get("supporting_agencies"))
    escalated_names = _names(data.get("escalated_to_agencies"))
    escalated = join_names(escalated_names, lang) if escalated_names else (
        "lembaga di atasnya" if lang == "id" else "the next level up")
    actor = data.get("actor_name")
    actor = actor if actor and str(data.get("actor") or "") not in SYSTEM_ACTORS else None
    words.update(owner=owner, escalated=escalated)
    who = actor or _cap(owner_ref)

    due_at = _parse_time(followup.get("due_at")) if followup.get("due_at") else None
    at = _parse_time(event.get("time")) or datetime.now(UTC)
    active = followup.get("status") in ACTIVE_STATUSES
    late_days, late_words = lateness(due_at, at, tz, lang) if due_at else (0, "")
    if due_at:
        ctx["due"] = format_local(due_at, tz, lang)
        if active:
            ctx["late"] = late_words
            ctx["overdue_days"] = late_days if late_days > 0 else None
    ctx["link"] = followup.get("url") or (f"{base}/follow-ups/{number}" if number is not None else base)
    ctx["link_label"] = "Lihat RTL" if lang == "id" else "Open the follow-up"
    ctx["ref"], ctx["title"], ctx["subject_topic"] = ref, title, title
    at_puskesmas = f" {'dari' if lang == 'id' else 'from'} {ctx['puskesmas']}" if ctx["puskesmas"] else ""
    late_clause = f" ({ctx['late']})" if ctx["late"] else ""
    level = followup.get("escalation_level")
    repeat = data.get("repeat")
    extension = data.get("extension_request") if isinstance(data.get("extension_request"), dict) else {}
    progress = data.get("progress") if isinstance(data.get("progress"), dict) else {}
    intro = ""
    if lang == "id":
        if type_ == "followup.created":
            intro = f"{_cap(words['puskesmas'])} mencatat {named_ref} untuk {owner_ref}."
        elif type_ == "followup.updated":
            if extension.get("status") == "approved":
                intro = f"Permintaan perpanjangan {named_ref} disetujui; batas waktu baru: {ctx['due']}."
            elif extension.get("status") == "refused":
                reason = f" Alasan: {one_line(str(extension['decision_reason']))}." if extension.get(
                    "decision_reason") else ""
                intro = f"Permintaan perpanjangan {named_ref} tidak disetujui; batas waktu tetap.{reason}"
            else:
                intro = f"{named_ref}{at_puskesmas} diubah."
        elif type_ == "followup.due_soon":
            intro = f"{named_ref}{at_puskesmas} {ctx['late'] or 'segera jatuh tempo'}."
        elif type_ == "followup.overdue":
            intro = f"{named_ref}{at_puskesmas} {_past_due(ctx, late_days, lang)}."
        elif type_ == "followup.escalated":
            named_owner = "" if reader.role == "owner" or not owner_name else f" (penanggung jawab: {owner})"
            subject = named_ref + at_puskesmas + named_owner
            state = _past_due(ctx, late_days, lang)
            where = "lembaga Bapak/Ibu" if reader.role == "escalated" else escalated
            again = f" Ini pengingat ulang ke-{repeat}." if repeat else ""
            intro = f"{subject} {state} dan diteruskan ke {where}.{again}"
        elif type_ == "followup.acknowledged":
            intro = f"{who} telah menerima {named_ref}."
        elif type_ == "followup.progressed":
            percent = f" ({progress['percent']}%)" if progress.get("percent") is not None else ""
            intro = f"{who} melaporkan kemajuan {named_ref}{percent}."
        elif type_ == "followup.extension_requested":
            wanted = _parse_date(extension.get("due_date"))
            until = f" sampai {format_date(wanted, lang)}" if wanted else ""
            intro = f"{who} meminta perpanjangan batas waktu {named_ref}{until}."
        elif type_ == "followup.completed":
            when = (f", terlambat {late_days} hari" if due_at and late_days > 0 and at > due_at else ", tepat waktu")
            intro = f"{who} menyelesaikan {named_ref}{when}."
        elif type_ == "followup.cancelled":
            intro = f"{named_ref}{at_puskesmas} dibatalkan."
        elif type_ == "followup.reopened":
            intro = f"{named_ref}{at_puskesmas} dibuka kembali{late_clause}."
    else:
        cap = _cap(named_ref)
        if type_ == "followup.created":
            intro = f"{_cap(words['puskesmas'])} recorded {named_ref} for {owner_ref}."
        elif type_ == "followup.updated":
            if extension.get("status") == "approved":
                intro = f"The extension of {named_ref} was approved; the new due date is {ctx['due']}."
            elif extension.get("status") == "refused":
                reason = f" Reason: {one_line(str(extension['decision_reason']))}." if extension.get(
                    "decision_reason") else ""
                intro = f"The extension of {named_ref} was refused; the due date stays.{reason}"
            else:
                intro = f"{cap}{at_puskesmas} was changed."
        elif type_ == "followup.due_soon":
            intro = f"{cap}{at_puskesmas} is {ctx['late'] or 'due soon'}."
        elif type_ == "followup.overdue":
            intro = f"{cap}{at_puskesmas} is {_past_due(ctx, late_days, lang)}."
        elif type_ == "followup.escalated":
            named_owner = "" if reader.role == "owner" or not owner_name else f" (owner: {owner})"
            subject = cap + at_puskesmas + named_owner
            state = _past_due(ctx, late_days, lang)
            where = "your agency" if reader.role == "escalated" else escalated
            again = f" This is repeat reminder no. {repeat}." if repeat else ""
            intro = f"{subject} is {state} and was escalated to {where}.{again}"
        elif type_ == "followup.acknowledged":
            intro = f"{who} acknowledged {named_ref}."
        elif type_ == "followup.progressed":
            percent = f" ({progress['percent']}%)" if progress.get("percent") is not None else ""
            intro = f"{who} reported progress on {named_ref}{percent}."
        elif type_ == "followup.extension_requested":
            wanted = _parse_date(extension.get("due_date"))
            until = f" until {format_date(wanted, lang)}" if wanted else ""
            intro = f"{who} asked for more time on {named_ref}{until}."
        elif type_ == "followup.completed":
            when = (f", {late_days} day{'s' if late_days != 1 else ''} late" if due_at and late_days > 0
                    and at > due_at else ", on time")
            intro = f"{who} completed {named_ref}{when}."
        elif type_ == "followup.cancelled":
            intro = f"{cap}{at_puskesmas} was cancelled."
        elif type_ == "followup.reopened":
            intro = f"{cap}{at_puskesmas} was reopened{late_clause}."
    ctx["intro"] = intro

    _row(ctx, "Puskesmas", "Puskesmas", ctx["puskesmas"])
    _row(ctx, _cap(ref), _cap(ref), title)
    _row(ctx, "Kegiatan", "Action", one_line(str(followup.get("action") or "")))
    _row(ctx, "Penanggung jawab", "Owner", owner_name)
    _row(ctx, "Lembaga pendukung", "Supporting agencies", join_names(supporters, lang) if supporters else None)
    if type_ == "followup.escalated":
        _row(ctx, "Diteruskan ke", "Escalated to", join_names(escalated_names, lang) if escalated_names else None)
    if ctx["due"]:
        _row(ctx, "Batas waktu", "Due", ctx["due"] + late_clause)
    status = STATUSES.get(str(followup.get("status")))
    _row(ctx, "Status RTL", "Status", status[lang] if status else None)
    if level and type_ == "followup.escalated":
        _row(ctx, "Tingkat eskalasi", "Escalation level", level)
    if progress.get("percent") is not None:
        _row(ctx, "Kemajuan", "Progress", f"{progress['percent']}%")
    note = progress.get("note") or data.get("note")
    _row(ctx, "Catatan", "Note", one_line(str(note)) if note else None)
    if type_ == "followup.extension_requested":
        wanted = _parse_date(extension.get("due_date"))
        _row(ctx, "Diminta sampai", "Requested until", format_date(wanted, lang) if wanted else None)
        _row(ctx, "Alasan", "Reason", one_line(str(extension.get("reason") or "")))


def _past_due(ctx: dict[str, Any], late_days: int, lang: str) -> str:
    """"terlambat 3 hari"; on the due day itself, past the time, not yet a day late."""
    if late_days > 0 and ctx["late"]:
        return ctx["late"]
    return ("sudah lewat batas waktu (jatuh tempo hari ini)" if lang == "id"
            else "past its due time (due today)")


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _meeting_context(ctx, type_, meeting, data, lang, tz, base, reader, words) -> None:
    kind = MEETING_KINDS.get(str(meeting.get("kind")), MEETING_KIND_FALLBACK)[lang]
    title = one_line(str(meeting.get("title") or kind))
    when_at = _parse_time(meeting.get("scheduled_at")) if meeting.get("scheduled_at") else None
    when = format_local(when_at, tz, lang) if when_at else None
    place = one_line(str(meeting.get("location") or ""))
    puskesmas = ctx["puskesmas"]
    reason = meeting.get("cancel_reason") or data.get("cancel_reason") or data.get("reason")
    invited = _names(meeting.get("invited_agencies"))
    ctx["link"] = meeting.get("url") or (f"{base}/meetings/{meeting['id']}" if meeting.get("id") is not None else base)
    ctx["link_label"] = "Lihat lokakarya mini" if lang == "id" else "Open the mini workshop"
    ctx["when"], ctx["place"], ctx["kind"], ctx["title"] = when, place, kind, title
    host = f" {puskesmas}" if puskesmas else ""
    at = (f" {'pada' if lang == 'id' else 'on'} {when}" if when else "") + (
        f" {'di' if lang == 'id' else 'at'} {place}" if place else "")
    if type_ == "meeting.scheduled":
        ctx["headline"] = f"Undangan {kind}{host}" if lang == "id" else f"Invitation: {kind}{host}"
        ctx["subject_headline"] = "Undangan" if lang == "id" else "Invitation"
        ctx["subject_topic"] = f"{title}, {when}" if when else title
        if lang == "id":
            ctx["intro"] = (f"{puskesmas or 'Puskesmas'} mengundang Bapak/Ibu menghadiri {title}{at}."
                            if reader.role == "invited" else f"{puskesmas or 'Puskesmas'} menjadwalkan {title}{at}.")
        else:
            ctx["intro"] = (f"{puskesmas or 'The puskesmas'} invites you to {title}{at}." if reader.role == "invited"
                            else f"{puskesmas or 'The puskesmas'} scheduled {title}{at}.")
    elif type_ == "meeting.updated" and reader.role == "uninvited":
        ctx["headline"] = ctx["subject_headline"] = UNINVITED_HEADLINE[lang]
        ctx["subject_topic"] = title
        ctx["intro"] = (f"Undangan {title}{' pada ' + when if when else ''} untuk lembaga Bapak/Ibu dibatalkan"
                        f"{' oleh ' + puskesmas if puskesmas else ''}." if lang == "id" else
                        f"{puskesmas or 'The puskesmas'} has withdrawn the invitation of your agency to {title}"
                        f"{', on ' + when if when else ''}.")
    elif type_ == "meeting.updated":
        ctx["subject_topic"] = f"{title}, {when}" if when else title
        # Sent for a new time or place and for a changed list of invitees alike (the event does
        # not say which): the words fit both, and give the current time and place.
        ctx["intro"] = (f"Ada perubahan pada {title}{host and ' di' + host}. Jadwalnya kini{at}." if lang == "id"
                        else f"{title}{host and ' at' + host} has been updated. It now takes place{at}.")
    elif type_ == "meeting.cancelled":
        ctx["subject_topic"] = title
        ctx["intro"] = (f"{title}{' yang dijadwalkan ' + when if when else ''} dibatalkan." if lang == "id"
                        else f"{title}{', planned for ' + when + ',' if when else ''} is cancelled.")
        if reason:
            ctx["intro"] += f" {'Alasan' if lang == 'id' else 'Reason'}: {one_line(str(reason))}."
    elif type_ == "meeting.minutes_published":
        ctx["subject_topic"] = title
        ctx["intro"] = (f"Notulen {title}{host and ' ' + ('di' if lang == 'id' else 'at') + host} telah terbit."
                        if lang == "id" else f"The minutes of {title}{host and ' at' + host} are published.")
    if reader.role == "uninvited":
        # The meeting's page is for those invited: the agency taken off the list gets Minilok's home.
        ctx["link"] = base or "/"
        ctx["link_label"] = "Buka Minilok" if lang == "id" else "Open Minilok"
    if type_ == "meeting.cancelled" or reader.role == "uninvited":
        ctx["calendar_note"] = ("Pembatalan untuk kalender terlampir (invite.ics); bukalah agar acara ini "
                                "terhapus dari kalender Bapak/Ibu." if lang == "id" else
                                "A calendar cancellation is attached (invite.ics); open it to remove the event from "
                                "your calendar.")
    elif type_ in ("meeting.scheduled", "meeting.updated"):
        ctx["calendar_note"] = ("Undangan kalender terlampir (invite.ics); bukalah untuk menyimpan acara ini di "
                                "kalender Bapak/Ibu." if lang == "id" else
                                "A calendar invitation is attached (invite.ics); open it to save the event in your "
                                "calendar.")
    _row(ctx, "Acara", "Meeting", title)
    _row(ctx, "Jenis", "Kind", kind)
    _row(ctx, "Waktu", "When", when)
    _row(ctx, "Tempat", "Place", place)
    _row(ctx, "Penyelenggara", "Host", puskesmas)
    # The list of those still invited is not the business of an agency just taken off it.
    if type_ != "meeting.minutes_published" and reader.role != "uninvited":
        _row(ctx, "Lembaga yang diundang", "Invited agencies", join_names(invited, lang) if invited else None)
    if type_ == "meeting.cancelled":
        _row(ctx, "Alasan pembatalan", "Reason", one_line(str(reason)) if reason else None)


def _indicator_context(ctx, type_, data, lang, base) -> None:
    indicator = data.get("indicator") if isinstance(data.get("indicator"), dict) else {}
    area = data.get("area") if isinstance(data.get("area"), dict) else {}
    name = (indicator.get("name_en") if lang == "en" else None) or indicator.get("name") or (
        "indikator" if lang == "id" else "the indicator")
    place = area.get("name") or ("wilayah ini" if lang == "id" else "this area")
    period = localtime.format_period(data.get("period"), lang)
    unit = (UNITS if lang == "id" else UNITS_EN).get(str(indicator.get("unit")), "")
    value = f"{format_number(data.get('value'), lang)}{unit}" if data.get("value") is not None else None
    target = f"{format_number(data.get('target'), lang)}{unit}" if data.get("target") is not None else None
    ctx["link"] = f"{base}/indicators"
    ctx["link_label"] = "Lihat indikator" if lang == "id" else "Open the indicators"
    ctx["subject_topic"] = f"{name}, {place}"
    figures = (f": {value}" + (f" (target {target})" if target else "")) if value else ""
    if type_ == "indicator.below_target":
        ctx["intro"] = (f"{name} di {place} pada {period} di bawah target{figures}." if lang == "id"
                        else f"{name} in {place} for {period} is below target{figures}.")
    else:
        ctx["intro"] = (f"{name} di {place} pada {period} kembali mencapai target{figures}." if lang == "id"
                        else f"{name} in {place} for {period} is back on target{figures}.")
    _row(ctx, "Indikator", "Indicator", name)
    _row(ctx, "Wilayah", "Area", place)
    _row(ctx, "Periode", "Period", period)
    _row(ctx, "Capaian", "Value", value)
    _row(ctx, "Target", "Target", target)


def _failed_context(ctx, data, lang, tz) -> None:
    delivery = data.get("delivery") if isinstance(data.get("delivery"), dict) else {}
    about = HEADLINES.get(str(delivery.get("event_type")), UNKNOWN_HEADLINE)[lang]
    channel = CHANNELS.get(str(delivery.get("channel")), {"id": "saluran ini", "en": "this channel"})[lang]
    attempts = delivery.get("attempts")
    tries = (f" setelah {attempts} kali percobaan" if lang == "id" else f" after {attempts} attempts") if attempts \
        else ""
    ctx["subject_topic"] = about
    ctx["intro"] = (f"Pesan Minilok ({about}) lewat {channel} gagal terkirim{tries}." if lang == "id"
                    else f"A Minilok message ({about}) by {channel} could not be delivered{tries}.")
    if data.get("subscription_disabled"):
        ctx["intro"] += (" Langganan ini dinonaktifkan sampai diperbaiki." if lang == "id"
                         else " This subscription is switched off until it is fixed.")
    _row(ctx, "Pesan tentang", "Message about", about)
    _row(ctx, "Saluran", "Channel", channel)
    _row(ctx, "Tujuan", "Target", data.get("target"))
    _row(ctx, "Jumlah percobaan", "Attempts", attempts)
    _row(ctx, "Kode jawaban", "Response code", delivery.get("last_response_status"))


def render(event: dict[str, Any], language: str, tz: str, base_url: str, action_link: str | None = None,
           agency_id: int | None = None,
           link_for: Callable[[dict[str, Any]], str | None] | None = None) -> Rendered:
    """Pure: the texts of one message for the reader `agency_id`; `action_link` (from
    `action_link()`) when it goes to the owner; `link_for` gives a digest's items theirs."""
    if event.get("type") == "notification.digest":
        return render_digest(event, language, tz, base_url, agency_id, link_for)
    if event.get("type") == "auth.code_requested":
        return render_sign_in_code(event, language)
    ctx = context(event, language, tz, base_url, action_link, agency_id)
    env = _environment()
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


def render_digest(event: dict[str, Any], language: str, tz: str, base_url: str, agency_id: int | None = None,
                  link_for: Callable[[dict[str, Any]], str | None] | None = None) -> Rendered:
    """One message listing every event gathered since the last digest."""
    items = [context(e, language, tz, base_url, link_for(e) if link_for else None, agency_id)
             for e in (event.get("data") or {}).get("events", []) if isinstance(e, dict)]
    ctx = {**context(event, language, tz, base_url, agency_id=agency_id), "items": items, "count": len(items)}
    env = _environment()
    kinds: dict[str, int] = {}
    for item in items:
        kind = item.get("subject_headline") or item["headline"]
        kinds[kind] = kinds.get(kind, 0) + 1
    ctx["kinds"] = list(kinds.items())
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
