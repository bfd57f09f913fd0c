"""Live updates for open dashboards: the meetings consumer hears this service's own committed
`followup.*` and `meeting.*` events and publishes a small notice on Redis pub/sub; each open
page listens through Server-Sent Events and refreshes its live parts.

A notice is only a hint to re-read (pages render from the database, with the reader's rights),
so losing one costs a stale view until the next, and a page that reconnects refreshes itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from functools import lru_cache
from typing import Any

import redis
from minilok_shared.auth import Principal

from minilok_meetings.access import puskesmas_in_area
from minilok_meetings.config import get_settings

log = logging.getLogger(__name__)

CHANNEL = "minilok:dashboard:changes"


def channel() -> str:
    return f"{get_settings().redis_key_prefix}{CHANNEL}"


@lru_cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url, socket_connect_timeout=2, socket_timeout=2)


def notice_of(event: dict[str, Any]) -> dict[str, Any]:
    """What a dashboard needs to decide whether to refresh: the type and who it concerns."""
    data = event.get("data") or {}
    followup = data.get("followup") or {}
    meeting = data.get("meeting") or {}
    return {
        "type": event.get("type"),
        "followup_id": followup.get("id"),
        "meeting_id": followup.get("meeting_id") or meeting.get("id"),
        "puskesmas_id": followup.get("puskesmas_id") or meeting.get("puskesmas_id"),
        "agency_ids": [a for a in [followup.get("owner_agency_id"), *(followup.get("supporting_agency_ids") or []),
                                   *(data.get("escalated_to_agency_ids") or [])] if a is not None],
    }


def publish(event: dict[str, Any]) -> None:
    _client().publish(channel(), json.dumps(notice_of(event)))


def area_puskesmas(app, principal: Principal) -> frozenset[int]:
    """The puskesmas a dinas reads (read once when its stream opens); nobody else needs them."""
    if not principal.is_dinas:
        return frozenset()
    with app.state.sessionmaker() as session:
        return frozenset(session.scalars(puskesmas_in_area(principal.area_code)))


def concerns(principal: Principal, notice: dict[str, Any], puskesmas_ids: Collection[int] = ()) -> bool:
    """`puskesmas_ids`: a dinas's (`area_puskesmas`)."""
    if principal.is_admin:
        return True
    if principal.role == "puskesmas":
        return str(notice.get("puskesmas_id")) == principal.puskesmas_id
    if principal.is_dinas and notice.get("puskesmas_id") in puskesmas_ids:
        return True
    return principal.agency_id in {str(a) for a in notice.get("agency_ids", [])}
