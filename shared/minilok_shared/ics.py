"""iCalendar invitations to a meeting, built from a `meeting.*` event's `data.meeting` (RFC 5545/5546).

Shared because two services hand out the same file: meetings at `GET /meetings/{id}/invitation.ics`
and notifications attached to the emails it sends about a meeting. Calendars match an update or a
cancellation to the invitation they hold by UID, and take it only when SEQUENCE has gone up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

PRODID = "-//Minilok//Lokakarya Mini//ID"
DEFAULT_DURATION = timedelta(hours=2)
Method = Literal["REQUEST", "CANCEL"]


def meeting_uid(meeting_id: int | str, public_url: str) -> str:
    """The one UID a meeting keeps for its whole life, whatever changes."""
    host = urlsplit(public_url).hostname or "minilok"
    return f"minilok-meeting-{meeting_id}@{host}"


def meeting_invitation(meeting: dict[str, Any], method: Method, organizer_email: str | None = None,
                       now: datetime | None = None) -> bytes:
    """The .ics file of one meeting: METHOD REQUEST for an invitation or its update, CANCEL to
    take it out of the invitees' calendars.

    `meeting` is `data.meeting` of an event (or GET /meetings/{id}); an invited agency that carries
    an `email` becomes an ATTENDEE with that address, the others by name only (a URN stands in for
    the address RFC 5545 requires). `now` is DTSTAMP (the time the file is made)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, not {method!r}")
    zone_name = meeting.get("timezone") or "Asia/Jakarta"
    zone = ZoneInfo(zone_name)
    start = _aware(meeting["scheduled_at"]).astimezone(zone)
    minutes = meeting.get("duration_minutes")
    end = start + (timedelta(minutes=int(minutes)) if minutes else DEFAULT_DURATION)
    url = meeting.get("url") or ""
    puskesmas = meeting.get("puskesmas_name") or "Puskesmas"
    cancelled = method == "CANCEL"

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    # The zone travels with the file: a calendar that does not know the IANA name still shows
    # 09.00 WITA as 09.00 WITA. (Built over icalendar's default span: Indonesian zones have no
    # transition in it, and a span without one would leave the VTIMEZONE without an observance.)
    calendar.add_component(Timezone.from_tzid(zone_name))

    event = Event()
    event.add("uid", meeting_uid(meeting["id"], url))
    event.add("sequence", int(meeting.get("sequence") or 0))
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", meeting.get("title") or "Lokakarya mini")
    if meeting.get("location"):
        event.add("location", meeting["location"])
    event.add("description", _description(meeting, puskesmas, url, cancelled))
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(f"mailto:{organizer_email}" if organizer_email
                                    else f"urn:minilok:puskesmas:{meeting.get('puskesmas_id')}", puskesmas,
                                    role=None))
    for agency in meeting.get("invited_agencies") or []:
        email = agency.get("email")
        value = f"mailto:{email}" if email else f"urn:minilok:agency:{agency['id']}"
        event.add("attendee", _address(value, agency.get("name") or "", role="REQ-PARTICIPANT"),
                  encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


def _description(meeting: dict[str, Any], puskesmas: str, url: str, cancelled: bool) -> str:
    lines = [f"Lokakarya mini {puskesmas}" if not puskesmas.lower().startswith("lokakarya")
             else puskesmas]
    if cancelled:
        lines.append("Dibatalkan / Cancelled" + (f": {meeting['cancel_reason']}" if meeting.get("cancel_reason")
                                                 else ""))
    if meeting.get("location"):
        lines.append(f"Tempat / Place: {meeting['location']}")
    if url:
        lines.append(url)
    return "\n".join(lines)


def _address(value: str, name: str, role: str | None) -> vCalAddress:
    address = vCalAddress(value)
    if name:
        address.params["CN"] = vText(name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["CUTYPE"] = vText("GROUP")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("FALSE")
    return address


def _aware(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
