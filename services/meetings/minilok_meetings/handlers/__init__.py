"""What the meetings service does on the events it consumes (`minilok consume meetings`).

`followup.*`, `meeting.*` (our own) → a notice to open dashboards (`web/live.py`).

`indicator.below_target` → a proposed agenda item (`Proposal`) for the puskesmas whose working
area holds the area. The `data` accepted, nested (as the indicators service sends it) or flat:

    {"indicator": {"code", "name"?, "direction"?} | "indicator_code", "indicator_name"?,
     "area": {"code", "name"?, "ancestor_codes"?} | "area_code", "area_name"?,
     "period", "value"?, "target"?}

The puskesmas is found by Kemendagri dotted codes: its own `area_code` equals the event's area
code, one of its ancestors, or a dotted prefix of them ("21.71.06" holds "21.71.06.1004" and the
posyandu under it). The most specific puskesmas area wins; among puskesmas with equally specific
areas (two in one kecamatan), the most specific area of one of their agencies. An agency's area
counts only inside its own puskesmas's area, so it never pulls another puskesmas's kelurahan. One
proposal per event (`proposals.event_id` is unique, behind the inbox). No match: nothing to do.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_meetings.domain.areas import dotted_prefixes, within
from minilok_meetings.web import live
from minilok_shared.events.consumer import HandlerContext, Handlers
from minilok_shared.events.envelope import InvalidEvent

log = logging.getLogger(__name__)

handlers = Handlers()


def _nested(data: dict[str, Any], key: str, field: str) -> Any:
    """`data[key][field]` when `data[key]` is an object, else the flat `data[key_field]`."""
    inner = data.get(key)
    if isinstance(inner, dict):
        return inner.get(field)
    return data.get(f"{key}_{field}")


def read_below_target(data: dict[str, Any]) -> dict[str, Any]:
    """The fields a proposal needs; InvalidEvent (dead letter) when the event cannot make one."""
    indicator_code = _nested(data, "indicator", "code")
    area_code = _nested(data, "area", "code")
    period = data.get("period")
    missing = [name for name, value in (("indicator code", indicator_code), ("area code", area_code),
                                        ("period", period)) if not value]
    if missing:
        raise InvalidEvent(f"indicator.below_target without {', '.join(missing)}")
    ancestors = _nested(data, "area", "ancestor_codes") or []
    return {
        "indicator_code": str(indicator_code),
        "indicator_name": _nested(data, "indicator", "name") or data.get("name"),
        "direction": _nested(data, "indicator", "direction"),
        "area_code": str(area_code),
        "area_name": _nested(data, "area", "name"),
        "ancestor_codes": [str(code) for code in ancestors if code] if isinstance(ancestors, list) else [],
        "period": str(period),
        "value": _number(data.get("value")),
        "target": _number(data.get("target")),
    }


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def format_angka(value: float) -> str:
    """Indonesian decimals: 72.5 → "72,5", 80.0 → "80"."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def proposal_title(fields: dict[str, Any]) -> str:
    indicator = fields["indicator_name"] or fields["indicator_code"]
    area = fields["area_name"] or fields["area_code"]
    title = f"Capaian {indicator} di {area} {fields['period']} di bawah target"
    value, target = fields["value"], fields["target"]
    if value is not None and target is not None:
        sign = ">" if fields["direction"] == "lower_is_better" else "<"
        title += f" ({format_angka(value)} {sign} {format_angka(target)})"
    return title[:300]


def find_puskesmas(session: Session, area_codes: list[str]) -> int | None:
    """The puskesmas whose working area holds the first of `area_codes` (the area itself, then its
    ancestors): the longest own area code wins, then the longest area code of one of its agencies."""
    candidates = {prefix for code in area_codes for prefix in dotted_prefixes(code)}
    own: dict[int, int] = {}
    for puskesmas_id, code in session.execute(
            select(models.Puskesmas.id, models.Puskesmas.area_code).where(models.Puskesmas.area_code.in_(candidates))):
        own[puskesmas_id] = len(code)
    refined: dict[int, int] = {}
    for puskesmas_id, code, puskesmas_area in session.execute(
            select(models.Agency.puskesmas_id, models.Agency.area_code, models.Puskesmas.area_code)
            .join(models.Puskesmas, models.Puskesmas.id == models.Agency.puskesmas_id)
            .where(models.Agency.area_code.in_(candidates))):
        # Rows written before agencies were held to their puskesmas's area must not pull either.
        if within(code, puskesmas_area):
            refined[puskesmas_id] = max(refined.get(puskesmas_id, 0), len(code))
    if not own:
        return None
    return max(own, key=lambda pid: (own[pid], refined.get(pid, 0), -pid))


@handlers.on("indicator.below_target")
def propose_agenda_item(ctx: HandlerContext) -> None:
    fields = read_below_target(ctx.data)
    event_id = ctx.event["id"]
    if len(event_id) > 36:
        raise InvalidEvent(f"event id {event_id[:40]!r}... is longer than a UUID")
    if ctx.session.scalar(select(models.Proposal.id).where(models.Proposal.event_id == event_id)) is not None:
        return
    puskesmas_id = find_puskesmas(ctx.session, [fields["area_code"], *fields["ancestor_codes"]])
    if puskesmas_id is None:
        log.info("no puskesmas holds area %s; no proposal", fields["area_code"])
        return
    ctx.session.add(models.Proposal(
        puskesmas_id=puskesmas_id, event_id=event_id, indicator_code=fields["indicator_code"][:64],
        area_code=fields["area_code"][:64], period=fields["period"][:16], title=proposal_title(fields),
        value=fields["value"], target=fields["target"], status="proposed",
    ))


@handlers.on("followup.*", "meeting.*")
def tell_open_dashboards(ctx: HandlerContext) -> None:
    """Our own committed changes (API, scans, escalation) refresh the dashboards that show them."""
    ctx.after_commit(lambda: live.publish(ctx.event))
