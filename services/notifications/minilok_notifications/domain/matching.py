"""Who hears what: which subscriptions an event reaches."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from minilok_shared.events.topics import topic_matches

# The event types of the contract, plus the one `POST /subscriptions/{id}/test` sends.
EVENT_TYPES = (
    "meeting.scheduled", "meeting.updated", "meeting.cancelled", "meeting.minutes_published",
    "followup.created", "followup.updated", "followup.due_soon", "followup.overdue", "followup.escalated",
    "followup.acknowledged", "followup.progressed", "followup.extension_requested",
    "followup.completed", "followup.cancelled", "followup.reopened",
    "indicator.below_target", "indicator.recovered",
    "notification.failed", "notification.test",
)
_WORD = re.compile(r"^([a-z_]+|\*|#)$")


def valid_pattern(pattern: str) -> bool:
    """A pattern is valid when it is topic-shaped and matches at least one known event type."""
    words = pattern.split(".")
    return all(_WORD.match(w) for w in words) and any(topic_matches(pattern, t) for t in EVENT_TYPES)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


_DB_ID = re.compile(r"[0-9]{1,19}")
MAX_DB_ID = 2**63 - 1  # BIGINT


def db_id(value: str | None) -> int | None:
    """An id as the database can compare it, or None for one no row can have (not decimal digits,
    or beyond 63 bits): an event naming such an id simply matches nothing by it."""
    if value is None or not _DB_ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_DB_ID else None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class EventFacts:
    """What matching needs to know about an event, read from its attributes and data."""

    type: str
    puskesmas_id: str | None
    owner_agency_id: str | None
    area_code: str | None
    # Agencies an agency-scoped subscription may hear this event as: owner, supporters and
    # escalated-to of a follow-up; the invited agencies of a meeting, and those just taken off its
    # list (`uninvited_agency_ids`, on that one `meeting.updated`: their calendars drop it).
    involved_agency_ids: frozenset[str]
    about_followup: bool
    about_meeting: bool = False


def event_facts(event: dict[str, Any]) -> EventFacts:
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    followup = data.get("followup") if isinstance(data.get("followup"), dict) else None
    meeting = data.get("meeting") if followup is None and isinstance(data.get("meeting"), dict) else None
    entity = followup or meeting or (data["indicator"] if isinstance(data.get("indicator"), dict) else {})
    puskesmas_id = _str(entity.get("puskesmas_id") or data.get("puskesmas_id") or event.get("puskesmasid"))
    owner = _str((followup or {}).get("owner_agency_id") or event.get("ownerid"))
    area_code = _str(entity.get("area_code") or data.get("area_code"))
    involved: set[str] = set()
    if followup is not None:
        if owner:
            involved.add(owner)
        involved.update(str(a) for a in _listed(followup.get("supporting_agency_ids")))
        involved.update(str(a) for a in _listed(data.get("escalated_to_agency_ids")))
    elif meeting is not None:
        involved.update(str(a) for a in _listed(meeting.get("invited_agency_ids")))
        involved.update(str(a) for a in _listed(meeting.get("uninvited_agency_ids")))
    return EventFacts(type=event["type"], puskesmas_id=puskesmas_id, owner_agency_id=owner, area_code=area_code,
                      involved_agency_ids=frozenset(involved), about_followup=followup is not None,
                      about_meeting=meeting is not None)


class SubscriptionLike(Protocol):
    agency_id: int
    scope: str
    event_types: list[str]
    filter_puskesmas_id: int | None
    filter_owner_agency_id: int | None
    filter_area_code: str | None


def wants_type(patterns: Iterable[str], event_type: str) -> bool:
    return any(topic_matches(p, event_type) for p in patterns)


def filters_match(sub: SubscriptionLike, facts: EventFacts) -> bool:
    """Every filter that is set must equal the event's value (an event without it does not match)."""
    pairs = (
        (sub.filter_puskesmas_id, facts.puskesmas_id),
        (sub.filter_owner_agency_id, facts.owner_agency_id),
        (sub.filter_area_code, facts.area_code),
    )
    return all(wanted is None or (have is not None and str(wanted) == have) for wanted, have in pairs)


def may_hear(sub: SubscriptionLike, facts: EventFacts) -> bool:
    """An agency hears only about follow-ups it owns, supports, or that escalated to it, and about
    meetings it is invited to (or was, until this very event took it off the list); a
    puskesmas-scoped subscription hears everything about its puskesmas (its filter, checked above)."""
    if sub.scope == "puskesmas":
        return sub.filter_puskesmas_id is not None
    return (facts.about_followup or facts.about_meeting) and str(sub.agency_id) in facts.involved_agency_ids


def hears(sub: SubscriptionLike, facts: EventFacts) -> bool:
    return wants_type(sub.event_types, facts.type) and may_hear(sub, facts) and filters_match(sub, facts)
