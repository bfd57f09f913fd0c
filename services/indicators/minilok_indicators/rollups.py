"""Rollups over the area hierarchy: one aggregate query per (indicator, area, period), children included.

The query reads every value whose area lies in the subtree (one range on the path index), adds up
each area's months first (so a "mean" denominator is averaged per area), then adds up the areas
per child of the requested area. Values stored on the requested area itself fall in the group ''.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minilok_indicators.areas import children_of, chunks, descendant_filter
from minilok_indicators.dialect import dialect_name, first_segment
from minilok_indicators.domain.areas import path_codes
from minilok_indicators.domain.periods import Period
from minilok_indicators.domain.rollup import Totals, combine_areas, meets_target, rollup_value, trend, worst_first_key
from minilok_indicators.models import Area, AreaTarget, Indicator, IndicatorValue


@dataclass
class Subtree:
    total: Totals
    by_child: dict[str, Totals]


def _per_area(session: Session, indicator: Indicator, area: Area, period: Period, *columns):
    """Each area's values in the subtree over the period's months, one row per area: a "mean"
    denominator is averaged over time within an area before areas add up."""
    dialect = dialect_name(session)
    over_time = func.avg if indicator.denominator_aggregation == "mean" else func.sum
    return (
        select(
            *columns,
            func.sum(IndicatorValue.numerator).label("numerator"),
            over_time(IndicatorValue.denominator).label("denominator"),
            func.count().label("reports"),
        )
        .select_from(IndicatorValue)
        .join(Area, Area.code == IndicatorValue.area_code)
        .where(
            IndicatorValue.indicator_code == indicator.code,
            IndicatorValue.period.in_([str(p) for p in period.parts(indicator.period_type)]),
            descendant_filter(dialect, Area.path, area.path),
        )
        # Grouping by the key makes the path (and anything cut from it) one value per group.
        .group_by(Area.code)
    )


def _totals(numerator, denominator, reports, with_denominator) -> Totals:
    return Totals(float(numerator or 0), float(denominator) if with_denominator else None, int(reports))


def subtree_totals(session: Session, indicator: Indicator, area: Area, period: Period) -> Subtree:
    child = first_segment(dialect_name(session), func.substr(Area.path, len(area.path) + 1)).label("child")
    per_area = _per_area(session, indicator, area, period, child).subquery()
    rows = session.execute(
        select(
            per_area.c.child,
            func.sum(per_area.c.numerator),
            func.sum(per_area.c.denominator),
            func.sum(per_area.c.reports),
            func.count(per_area.c.denominator),
        ).group_by(per_area.c.child)
    ).all()
    by_child = {child_code: _totals(*figures) for child_code, *figures in rows}
    return Subtree(combine_areas(by_child.values()), by_child)


def totals_within(session: Session, indicator: Indicator, root: Area, period: Period,
                  areas: list[Area]) -> dict[str, Totals]:
    """The totals of many areas of one subtree at once: one read of the subtree's values, added
    up along each value's path (what re-checking every ancestor after an ingest needs)."""
    wanted = {area.code for area in areas}
    parts: dict[str, list[Totals]] = {code: [] for code in wanted}
    rows = session.execute(_per_area(session, indicator, root, period, Area.path.label("path"))).all()
    for path, numerator, denominator, reports in rows:
        totals = _totals(numerator, denominator, reports, denominator is not None)
        for code in path_codes(path):
            if code in wanted:
                parts[code].append(totals)
    return {code: combine_areas(found) for code, found in parts.items()}


def targets_for(session: Session, indicator: Indicator, areas: list[Area]) -> dict[str, float | None]:
    """Each area's target: the override of the area or its nearest ancestor, else the indicator's."""
    codes = {code for area in areas for code in path_codes(area.path)}
    overrides: dict[str, float] = {}
    for part in chunks(sorted(codes)):
        overrides.update(session.execute(
            select(AreaTarget.area_code, AreaTarget.target)
            .where(AreaTarget.indicator_code == indicator.code, AreaTarget.area_code.in_(part))
        ).all())
    targets: dict[str, float | None] = {}
    for area in areas:
        chain = [overrides[code] for code in path_codes(area.path) if code in overrides]
        targets[area.code] = chain[-1] if chain else indicator.target
    return targets


def figures(indicator: Indicator, totals: Totals, target: float | None) -> dict:
    value = rollup_value(totals, indicator.factor, indicator.unit)
    return {
        "value": value,
        "numerator": totals.numerator if totals.reports else None,
        "denominator": totals.denominator,
        "reports": totals.reports,
        "target": target,
        "meets_target": meets_target(value, target, indicator.direction),
    }


def rollup(session: Session, indicator: Indicator, area: Area, period: Period) -> dict:
    subtree = subtree_totals(session, indicator, area, period)
    children = children_of(session, area.code)
    targets = targets_for(session, indicator, [area, *children])
    empty = Totals(0.0, None, 0)
    return {
        "indicator": indicator.code,
        "area": area.code,
        "period": str(period),
        "unit": indicator.unit,
        "direction": indicator.direction,
        "periods_included": [str(p) for p in period.parts(indicator.period_type)],
        **figures(indicator, subtree.total, targets[area.code]),
        "children": [
            {"area_code": child.code, "name": child.name, "level": child.level,
             **figures(indicator, subtree.by_child.get(child.code, empty), targets[child.code])}
            for child in children
        ],
    }


def ranking(session: Session, indicator: Indicator, area: Area, period: Period) -> dict:
    """PWS: the children of an area, worst first, with the change since the previous period."""
    previous = period.previous()
    now = subtree_totals(session, indicator, area, period)
    before = subtree_totals(session, indicator, area, previous)
    children = children_of(session, area.code)
    targets = targets_for(session, indicator, children)
    empty = Totals(0.0, None, 0)
    items = []
    for child in children:
        current = figures(indicator, now.by_child.get(child.code, empty), targets[child.code])
        previous_value = rollup_value(before.by_child.get(child.code, empty), indicator.factor, indicator.unit)
        change = None if current["value"] is None or previous_value is None else current["value"] - previous_value
        items.append({"area_code": child.code, "name": child.name, "level": child.level, **current,
                      "previous_value": previous_value, "change": change,
                      "trend": trend(current["value"], previous_value, indicator.direction)})
    items.sort(key=lambda item: (worst_first_key(item["value"], indicator.direction), item["area_code"]))
    for rank, item in enumerate(items, start=1):
        item["rank"] = rank
    return {"indicator": indicator.code, "area": area.code, "period": str(period), "previous_period": str(previous),
            "direction": indicator.direction, "unit": indicator.unit, "items": items, "next_cursor": None}
