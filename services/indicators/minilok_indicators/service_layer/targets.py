"""Targets: an area's own target in place of the indicator's, and below target and back:
`indicator.below_target` once when an (indicator, area, period) rollup falls short,
`indicator.recovered` once when it meets the target again. The state lives in `target_status`,
written in the same transaction as the values and the outbox rows: importing the same values
again finds the same verdict and emits nothing. "Meets" is against `target_for_period` (for a
cumulative indicator, the cumulative coverage against the target pro-rated to the period)."""

from __future__ import annotations

from minilok_shared.db import insert_on_conflict, utcnow
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, load_only

from minilok_indicators.dialect import (
    bulk_upsert,
    descendant_filter,
    dialect_name,
    fetch_tuples,
    in_batches,
    transaction_lock,
)
from minilok_indicators.domain.periods import Period, parse_period
from minilok_indicators.events import TargetEvents
from minilok_indicators.models import Area, AreaTarget, Indicator, IndicatorValue, TargetStatus
from minilok_indicators.service_layer.areas import area_or_404, chunks
from minilok_indicators.service_layer.catalogue import indicator_or_404
from minilok_indicators.service_layer.rollups import pws_figures, rollup_rows_for, targets_for


def set_area_target(session: Session, indicator_code: str, area_code: str, target: float) -> None:
    """A target for this area and the areas beneath it, in place of the indicator's own (not yet
    committed; the caller then has the subtree re-checked)."""
    indicator_or_404(session, indicator_code)
    area_or_404(session, area_code)
    statement = insert_on_conflict(session, AreaTarget.__table__).values(
        indicator_code=indicator_code, area_code=area_code, target=target)
    session.execute(statement.on_conflict_do_update(index_elements=["indicator_code", "area_code"],
                                                    set_={"target": statement.excluded.target}))


def area_targets(session: Session, indicator_code: str) -> list[AreaTarget]:
    """The indicator's area targets in area code order."""
    indicator_or_404(session, indicator_code)
    return list(session.scalars(select(AreaTarget).where(AreaTarget.indicator_code == indicator_code)
                                .order_by(AreaTarget.area_code)))


def check_targets(session: Session, indicator: Indicator, scopes: dict[Period, list[Area]],
                  targets: dict[str, float | None] | None = None) -> list[dict]:
    """Re-evaluate the rollups of these areas in these periods and emit what changed; returns
    {"id", "type", "subject"} of each event written. All periods together: one read of their
    status, one of their rollups, one upsert of what changed, one write of the events.
    `targets` (by area code) saves reading them again when the caller has them."""
    scopes = {period: areas for period, areas in sorted(scopes.items()) if areas}
    if not scopes:
        return []
    # Two ingests of the same indicator and period decide one after the other, each on the
    # other's committed values and status: one below_target, never two.
    for period in scopes:
        transaction_lock(session, f"minilok-indicators-target-{indicator.code}-{period}")
    codes = sorted({area.code for areas in scopes.values() for area in areas})
    periods = [str(period) for period in scopes]
    status = TargetStatus.__table__
    known: dict[tuple[str, str], tuple[bool, float | None]] = {}
    for in_part in in_batches(session, status.c.area_code, codes):
        known.update(((period, code), (below, value)) for period, code, below, value in fetch_tuples(session, (
            select(status.c.period, status.c.area_code, status.c.below, status.c.value).where(
                status.c.indicator_code == indicator.code, status.c.period.in_(periods), in_part))))
    if targets is None:
        distinct = {area.code: area for areas in scopes.values() for area in areas}
        targets = targets_for(session, indicator, list(distinct.values()))
    stored = rollup_rows_for(session, indicator, list(scopes), codes)
    events, changed, refreshed = [], [], []
    now = utcnow()
    outgoing = TargetEvents(indicator, now)
    for period, areas in scopes.items():
        period_text = str(period)
        found = pws_figures(session, indicator, period, [area.code for area in areas], targets, stored)
        for area in areas:
            result = found[area.code]
            if result["meets_target"] is None:
                continue
            below = not result["meets_target"]
            was_below, last_value = known.get((period_text, area.code), (False, None))
            if below == was_below:
                if (period_text, area.code) in known and last_value != result["value"]:
                    refreshed.append({"p": period_text, "a": area.code, "v": result["value"]})
                continue
            changed.append({"indicator_code": indicator.code, "area_code": area.code, "period": period_text,
                            "below": below, "value": result["value"], "changed_at": now})
            events.append(outgoing.add(below, area, period_text, result))
    outgoing.write(session)
    # Meeting the target from the start is no news: only a change (or a first shortfall) is written.
    if changed:
        bulk_upsert(session, status, changed, ["indicator_code", "area_code", "period"],
                    lambda excluded: {c: excluded[c] for c in ("below", "value", "changed_at")})
    if refreshed:
        session.execute(update(status).where(
            status.c.indicator_code == indicator.code, status.c.period == bindparam("p"),
            status.c.area_code == bindparam("a")).values(value=bindparam("v")), refreshed)
    return events


def recheck_area_targets(session: Session, indicator_code: str, area_code: str,
                         event_levels: frozenset[str]) -> list[dict]:
    """After a target changed: re-evaluate the area's subtree, at the event levels, for every
    period that has values, emitting below_target / recovered where the verdict changed (none
    when the indicator or the area is gone)."""
    indicator, area = session.get(Indicator, indicator_code), session.get(Area, area_code)
    if indicator is None or area is None:
        return []
    dialect = dialect_name(session)
    in_subtree = descendant_filter(dialect, Area.path, area.path)
    periods = session.scalars(
        select(IndicatorValue.period).distinct()
        .join(Area, Area.code == IndicatorValue.area_code)
        .where(IndicatorValue.indicator_code == indicator.code, in_subtree)
    ).all()
    scope = list(session.scalars(select(Area).where(in_subtree, Area.level.in_(sorted(event_levels)))
                                 .order_by(Area.path)))
    return check_targets(session, indicator, {parse_period(period): scope for period in periods})


def reevaluate_quietly(session: Session, indicator_codes: list[str]) -> int:
    """After a change of rule (an indicator became cumulative): re-evaluate the stored
    `target_status` rows of these indicators against the new rule WITHOUT emitting events, so
    that the next import over the same values finds nothing changed. A row still below target
    stays below (its below_target already went out, none again); a row that meets the new
    pro-rated target becomes "not below" (a later real shortfall is news again). Returns the
    number of rows changed."""
    status = TargetStatus.__table__
    query = select(Indicator).options(load_only(
        Indicator.code, Indicator.unit, Indicator.factor, Indicator.target, Indicator.direction,
        Indicator.period_type, Indicator.denominator_aggregation, Indicator.target_basis)).where(
        Indicator.code.in_(indicator_codes)).execution_options(populate_existing=True)
    changed = 0
    for indicator in session.scalars(query).all():
        periods = session.scalars(select(status.c.period).distinct()
                                  .where(status.c.indicator_code == indicator.code)).all()
        for period_text in sorted(periods):
            codes = list(session.scalars(select(status.c.area_code).where(
                status.c.indicator_code == indicator.code, status.c.period == period_text)))
            areas = []
            for part in chunks(codes):
                areas += list(session.scalars(select(Area).where(Area.code.in_(part))))
            targets = targets_for(session, indicator, areas)
            found = pws_figures(session, indicator, parse_period(period_text), [a.code for a in areas], targets)
            rows = [{"a": code, "b": not item["meets_target"], "v": item["value"]}
                    for code, item in found.items() if item["meets_target"] is not None]
            if rows:
                changed += session.execute(update(status).where(
                    status.c.indicator_code == indicator.code, status.c.period == period_text,
                    status.c.area_code == bindparam("a")).values(below=bindparam("b"), value=bindparam("v")),
                    rows).rowcount or 0
    return changed
