"""Rollups over the area hierarchy, read from `area_rollups` (kept up to date on ingest): an
area and its children are a handful of primary-key lookups at any level, the nation included.

`totals_from_values` computes the same figures from the values themselves (one aggregate query
over the subtree); tests check the stored rollups against it and the benchmark measures both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from minilok_shared.errors import unprocessable
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minilok_indicators.dialect import descendant_filter, dialect_name, fetch_tuples, in_batches
from minilok_indicators.domain.hierarchy import path_codes
from minilok_indicators.domain.periods import InvalidPeriod, Period, parse_period
from minilok_indicators.domain.rollup import (
    Totals,
    cumulative_totals,
    meets_target,
    pws_status,
    rollup_value,
    target_for_period,
    trend,
    worst_first_key,
)
from minilok_indicators.models import Area, AreaRollup, AreaTarget, Indicator, IndicatorValue
from minilok_indicators.service_layer.aggregates import NATIONAL, stored_totals
from minilok_indicators.service_layer.areas import area_or_404, children_of, chunks
from minilok_indicators.service_layer.catalogue import indicator_or_404

EMPTY = Totals(0.0, None, 0)


class Rule(NamedTuple):
    """What the arithmetic reads of an indicator, read off the ORM object once: a national
    below-target check works out figures for hundreds of thousands of areas, and every attribute
    of a mapped object is a Python-level descriptor call."""
    code: str
    unit: str
    factor: float
    target: float | None
    direction: str
    period_type: str
    denominator_aggregation: str
    target_basis: str


def rule_of(indicator: Indicator) -> Rule:
    return Rule(indicator.code, indicator.unit, indicator.factor, indicator.target, indicator.direction,
                indicator.period_type, indicator.denominator_aggregation or "sum",
                getattr(indicator, "target_basis", None) or "period")


@dataclass
class Subtree:
    total: Totals
    by_child: dict[str, Totals]


def national_area() -> Area:
    """The whole country as an area: its children are the root areas."""
    return Area(code=NATIONAL, name="Indonesia", level="nasional", parent_code=None, path="/", depth=-1)


def resolve(session: Session, indicator_code: str, area_code: str, period_text: str) -> tuple[Indicator, Area, Period]:
    """The indicator, the area (`ID`: the nation) and the period a rollup is asked for; 404 or 422
    (naming the query parameter) when one of them is wrong."""
    indicator = indicator_or_404(session, indicator_code)
    area = national_area() if area_code == NATIONAL else area_or_404(session, area_code)
    try:
        period = parse_period(period_text)
        period.parts(indicator.period_type)
    except InvalidPeriod as exc:
        raise unprocessable("period", str(exc), where="query") from exc
    return indicator, area, period


def area_children(session: Session, area: Area) -> list[Area]:
    if area.code == NATIONAL:
        return list(session.scalars(select(Area).where(Area.parent_code.is_(None)).order_by(Area.code)))
    return children_of(session, area.code)


def _as_totals(row: tuple | None) -> Totals:
    if row is None:
        return EMPTY
    numerator, denominator, denominator_reports, reports = row
    if not reports:
        return EMPTY
    return Totals(numerator, denominator if denominator_reports else None, reports)


def totals_of(session: Session, indicator: Indicator, period: Period, codes: list[str]) -> dict[str, Totals]:
    """Each area's totals over its whole subtree (empty where nothing was reported)."""
    rows = stored_totals(session, indicator.code, str(period), codes)
    return {code: _as_totals(rows.get(code)) for code in codes}


def subtree_totals(session: Session, indicator: Indicator, area: Area, period: Period,
                   children: list[Area]) -> Subtree:
    totals = totals_of(session, indicator, period, [area.code, *(child.code for child in children)])
    return Subtree(totals[area.code], {child.code: totals[child.code] for child in children})


def totals_from_values(session: Session, indicator: Indicator, area: Area, period: Period) -> Totals:
    """The reference: the subtree's totals computed from the stored values on every read. Each
    area's months add up first (a "mean" denominator is averaged within an area), then areas."""
    over_time = func.avg if indicator.denominator_aggregation == "mean" else func.sum
    query = (
        select(func.sum(IndicatorValue.numerator).label("numerator"),
               over_time(IndicatorValue.denominator).label("denominator"),
               func.count().label("reports"))
        .select_from(IndicatorValue)
        .where(IndicatorValue.indicator_code == indicator.code,
               IndicatorValue.period.in_([str(p) for p in period.parts(indicator.period_type)]))
        .group_by(IndicatorValue.area_code)
    )
    if area.code != NATIONAL:
        query = query.join(Area, Area.code == IndicatorValue.area_code).where(
            descendant_filter(dialect_name(session), Area.path, area.path))
    per_area = query.subquery()
    numerator, denominator, reports, with_denominator = session.execute(select(
        func.sum(per_area.c.numerator), func.sum(per_area.c.denominator), func.sum(per_area.c.reports),
        func.count(per_area.c.denominator))).one()
    if not reports:
        return EMPTY
    return Totals(float(numerator or 0), float(denominator) if with_denominator else None, int(reports))


def targets_for(session: Session, indicator: Indicator, areas: list[Area]) -> dict[str, float | None]:
    """Each area's target: the override of the area or its nearest ancestor, else the indicator's."""
    codes = {code for area in areas for code in path_codes(area.path)}  # the nation's path is empty
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


def figures(indicator: Indicator, totals: Totals, target: float | None, period: Period | None = None,
            cumulative: Totals | None = None) -> dict:
    """An area's figures for a period. A cumulative indicator's `value` is the coverage from
    January to the period's end (`cumulative`), its `numerator`/`denominator` those of that
    coverage; `period_value` is the period's own. `meets_target` holds `value` against
    `target_for_period` (the yearly target pro-rated for a cumulative indicator)."""
    period_value = rollup_value(totals, indicator.factor, indicator.unit)
    shown = totals if cumulative is None else cumulative
    value = period_value if cumulative is None else rollup_value(cumulative, indicator.factor, indicator.unit)
    basis = getattr(indicator, "target_basis", None) or "period"
    for_period = (target if period is None
                  else target_for_period(target, basis, period.type, period.index))
    return {
        "value": value,
        "period_value": period_value,
        "numerator": shown.numerator if shown.reports else None,
        "denominator": shown.denominator,
        "reports": totals.reports,
        "target": target,
        "target_for_period": for_period,
        "meets_target": meets_target(value, for_period, indicator.direction),
    }


def is_cumulative(indicator: Indicator) -> bool:
    return (getattr(indicator, "target_basis", None) or "period") == "cumulative"


def year_to_date(indicator: Indicator, period: Period) -> list[Period]:
    """The stored periods (of the indicator's type) from the year's start to the period's end."""
    last = period.parts(indicator.period_type)[-1]
    return [p for p in Period(period.year, "yearly", 1).parts(indicator.period_type) if p <= last]


def _rollup_rows(session: Session, indicator: Indicator, periods: list[str], codes: list[str]) -> dict:
    """(period, area) → Totals of the stored rollup rows: one range query on the primary key
    (indicator = ? AND period IN (...) AND area_code IN (...)), see `dialect.in_batches`."""
    table = AreaRollup.__table__
    found: dict[tuple[str, str], Totals] = {}
    for in_part in in_batches(session, table.c.area_code, codes):
        for period, area_code, numerator, denominator, denominator_reports, reports in fetch_tuples(session, (
                select(table.c.period, table.c.area_code, table.c.numerator, table.c.denominator,
                       table.c.denominator_reports, table.c.reports).where(
                    table.c.indicator_code == indicator.code, table.c.period.in_(sorted(set(periods))),
                    in_part))):
            found[(period, area_code)] = _as_totals((numerator, denominator, denominator_reports, reports))
    return found


def rollup_rows_for(session: Session, indicator: Indicator, periods: list[Period], codes: list[str]) -> dict:
    """The rollup rows `pws_figures` reads for each of these periods, in one read."""
    wanted = {str(p) for period in periods for p in (period, period.previous())}
    if is_cumulative(indicator):
        wanted |= {str(p) for period in periods for p in year_to_date(indicator, period)}
    return _rollup_rows(session, indicator, sorted(wanted), codes)


def pws_figures(session: Session, indicator: Indicator, period: Period, codes: list[str],
                targets: dict[str, float | None], stored: dict | None = None) -> dict[str, dict]:
    """Each area's figures for the period with the PWS status, read from `area_rollups` in one
    range query: the period, the previous period and, for a cumulative indicator, the year to
    date (at most 12 rows of the same year per area).

    The trend (`previous_value`, `change`, `trend`, and so the status) compares the period's own
    value with the previous period's own value: for a cumulative indicator this month's coverage
    against last month's, as PWS KIA does (the cumulative coverage only ever rises in a year).
    `stored`: those rows read beforehand for several periods at once (`rollup_rows_for`)."""
    indicator = rule_of(indicator)
    previous = period.previous()
    cumulative = is_cumulative(indicator)
    wanted = [str(period), str(previous)]
    ytd = [str(p) for p in year_to_date(indicator, period)] if cumulative else []
    rows = stored if stored is not None else _rollup_rows(session, indicator, [*wanted, *ytd], codes)
    result: dict[str, dict] = {}
    period_text, previous_text = wanted
    for code in codes:
        totals = rows.get((period_text, code), EMPTY)
        running = (cumulative_totals((rows.get((p, code), EMPTY) for p in ytd), indicator.denominator_aggregation)
                   if cumulative else None)
        item = figures(indicator, totals, targets.get(code), period, running)
        previous_value = rollup_value(rows.get((previous_text, code), EMPTY), indicator.factor, indicator.unit)
        current = item["period_value"]
        item["previous_value"] = previous_value
        item["change"] = None if current is None or previous_value is None else current - previous_value
        item["trend"] = trend(current, previous_value, indicator.direction)
        item["pws_status"] = pws_status(item["meets_target"], current, previous_value, indicator.direction)
        result[code] = item
    return result


def rollup(session: Session, indicator: Indicator, area: Area, period: Period) -> dict:
    children = area_children(session, area)
    targets = targets_for(session, indicator, [area, *children])
    found = pws_figures(session, indicator, period, [area.code, *(child.code for child in children)], targets)
    return {
        "indicator": indicator.code,
        "area": area.code,
        "period": str(period),
        "unit": indicator.unit,
        "direction": indicator.direction,
        "target_basis": indicator.target_basis or "period",
        "periods_included": [str(p) for p in period.parts(indicator.period_type)],
        **found[area.code],
        "children": [
            {"area_code": child.code, "name": child.name, "level": child.level, **found[child.code]}
            for child in children
        ],
    }


def ranking(session: Session, indicator: Indicator, area: Area, period: Period) -> dict:
    """PWS: the children of an area, worst first (by `value` against the target), with the change
    since the previous period and the PWS status."""
    previous = period.previous()
    children = area_children(session, area)
    targets = targets_for(session, indicator, children)
    found = pws_figures(session, indicator, period, [child.code for child in children], targets)
    items = [{"area_code": child.code, "name": child.name, "level": child.level, **found[child.code]}
             for child in children]
    items.sort(key=lambda item: (worst_first_key(item["value"], indicator.direction), item["area_code"]))
    for rank, item in enumerate(items, start=1):
        item["rank"] = rank
    return {"indicator": indicator.code, "area": area.code, "period": str(period), "previous_period": str(previous),
            "direction": indicator.direction, "unit": indicator.unit,
            "target_basis": indicator.target_basis or "period", "items": items, "next_cursor": None}
