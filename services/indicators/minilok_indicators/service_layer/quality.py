"""Data quality of reported values: completeness (which reporting areas beneath an area reported
a period) and outliers (values far from their area's own history, flagged on import).

Reporting areas: the areas beneath the one asked about at the level where the indicator is
reported, i.e. the deepest depth of the hierarchy at which any area beneath holds a value of the
indicator for the period or the one before it (a kota whose kelurahan report D/S: its kelurahan,
even where posyandu are loaded beneath some of them; desa and kelurahan, at the same depth,
count together). When nothing beneath reported either period, the leaves (areas with nothing
beneath them) are expected. An area reported a period when it has a value of the indicator for
any of the period's parts (a quarter of a monthly indicator: any of its months).
"""

from __future__ import annotations

from dataclasses import dataclass

from minilok_shared.db import utcnow
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from minilok_indicators.dialect import (
    bulk_upsert,
    delete_keys,
    descendant_filter,
    dialect_name,
    fetch_tuples,
    in_batches,
)
from minilok_indicators.domain.outliers import HISTORY, outlier
from minilok_indicators.domain.periods import Period, parse_period_of_type
from minilok_indicators.models import Area, Indicator, IndicatorValue, ValueOutlier
from minilok_indicators.service_layer.areas import chunks

MISSING_LIMIT = 200  # names listed on a page; the count says how many more there are


@dataclass
class Completeness:
    level: str | None  # the leaves' level when they share one ("kelurahan")
    expected: int
    reported: int
    percent: float | None
    missing: list[dict]  # {"code", "name"}, in code order, at most `limit`
    missing_count: int


def completeness(session: Session, indicator: Indicator, area: Area, period: Period,
                 limit: int = MISSING_LIMIT) -> Completeness:
    """Reporting areas beneath `area` (itself, when it is one) expected and reported for `period`.
    One pass over the subtree (a range on ix_areas_path, two primary-key probes of the values per
    area) counts every depth at once; a second lists the first `limit` missing ones, when any is."""
    dialect = dialect_name(session)
    parts = [str(p) for p in period.parts(indicator.period_type)]
    recent = [*parts, *(str(p) for p in period.previous().parts(indicator.period_type))]
    in_subtree = descendant_filter(dialect, Area.path, area.path)

    def has_value(periods: list[str]):
        return exists().where(IndicatorValue.indicator_code == indicator.code, IndicatorValue.period.in_(periods),
                              IndicatorValue.area_code == Area.code)

    reported = has_value(parts)
    by_depth = session.execute(
        select(Area.depth, func.count(), func.count().filter(reported), func.count().filter(has_value(recent)),
               func.min(Area.level), func.max(Area.level))
        .where(in_subtree).group_by(Area.depth).order_by(Area.depth.desc())).all()
    deepest = next((row for row in by_depth if row[3]), None)
    if deepest is None:
        child = aliased(Area)
        at_level = ~exists().where(child.parent_code == Area.code)
        expected, done, lowest, highest = session.execute(
            select(func.count(), func.count().filter(reported), func.min(Area.level), func.max(Area.level))
            .select_from(Area).where(in_subtree, at_level)).one()
    else:
        at_level = Area.depth == deepest[0]
        expected, done, _recent, lowest, highest = deepest[1:]
    missing = session.execute(select(Area.code, Area.name).where(in_subtree, at_level, ~reported)
                              .order_by(Area.code).limit(limit)).all() if done < expected else []
    return Completeness(
        level=lowest if lowest == highest else None, expected=expected, reported=done,
        percent=round(100.0 * done / expected, 1) if expected else None,
        missing=[{"code": code, "name": name} for code, name in missing],
        missing_count=expected - done,
    )


def _history_periods(period: Period) -> list[str]:
    out, current = [], period
    for _ in range(HISTORY):
        current = current.previous()
        out.append(str(current))
    return out


HISTORY_CHUNK = 5000  # rows judged per history query: 12 periods x 5000 areas read by primary key


def flag_outliers(session: Session, indicators: dict[str, Indicator], rows: list[dict]) -> int:
    """Compare each upserted row with its area's last 12 periods; flag or clear it in
    `value_outliers`. Called after the upsert, so that history within the same import counts.
    One history query per chunk of rows and indicator, one delete of what is no longer flagged.
    Returns how many are flagged."""
    values = IndicatorValue.__table__
    flagged = 0
    for chunk in chunks(rows, HISTORY_CHUNK):
        by_indicator: dict[str, list[dict]] = {}
        for row in chunk:
            by_indicator.setdefault(row["indicator_code"], []).append(row)
        found: list[dict] = []
        cleared: list[tuple[str, str, str]] = []  # (indicator, period, area) no longer flagged
        now = utcnow()
        for code, items in by_indicator.items():
            period_type = indicators[code].period_type
            before = {text: _history_periods(parse_period_of_type(text, period_type))
                      for text in {row["period"] for row in items}}
            periods = sorted({p for ps in before.values() for p in ps})
            history: dict[str, dict[str, float]] = {}
            for in_part in in_batches(session, values.c.area_code, [row["area_code"] for row in items]):
                for period_text, area_code, value in fetch_tuples(session, (
                        select(values.c.period, values.c.area_code, values.c.value)
                        .where(values.c.indicator_code == code, values.c.period.in_(periods), in_part,
                               values.c.value.is_not(None)))):
                    history.setdefault(area_code, {})[period_text] = value
            for row in items:
                past = history.get(row["area_code"], {})
                hit = outlier(row["value"], [past[p] for p in before[row["period"]] if p in past]) \
                    if row["value"] is not None else None
                if hit is None:
                    cleared.append((code, row["period"], row["area_code"]))
                    continue
                found.append({"indicator_code": code, "period": row["period"], "area_code": row["area_code"],
                              "value": hit.value, "median": hit.median,
                              # JSON and both databases keep a finite float: MAD = 0 scores as +/-1e9
                              "score": max(-1e9, min(1e9, hit.score)), "flagged_at": now})
        if cleared:  # only what is flagged now (few rows), not every key judged plausible
            flagged_now = set(fetch_tuples(session, (
                select(ValueOutlier.indicator_code, ValueOutlier.period, ValueOutlier.area_code).where(
                    ValueOutlier.indicator_code.in_(sorted({key[0] for key in cleared})),
                    ValueOutlier.period.in_(sorted({key[1] for key in cleared}))))))
            delete_keys(session, ValueOutlier.__table__, ["indicator_code", "period", "area_code"],
                        [key for key in cleared if key in flagged_now])
        # A re-import of the same flagged value keeps its first flagged_at.
        bulk_upsert(session, ValueOutlier.__table__, found, ["indicator_code", "period", "area_code"],
                    lambda excluded: {c: excluded[c] for c in ("value", "median", "score")})
        flagged += len(found)
    return flagged


def list_outliers(session: Session, indicator: Indicator, area: Area, period: Period | None, limit: int,
                  cursor: str | None) -> Page:
    """Flagged values of `indicator` beneath `area` (the area itself included), newest period
    first, then by area code; with the area's name."""
    dialect = dialect_name(session)
    query = (select(ValueOutlier, Area.name).join(Area, Area.code == ValueOutlier.area_code)
             .where(ValueOutlier.indicator_code == indicator.code, descendant_filter(dialect, Area.path, area.path)))
    if period is not None:
        query = query.where(ValueOutlier.period.in_([str(p) for p in period.parts(indicator.period_type)]))
    if cursor:
        after_period, after_area = decode_cursor(cursor, (str, str))
        query = query.where(or_(ValueOutlier.period < after_period,
                                and_(ValueOutlier.period == after_period, ValueOutlier.area_code > after_area)))
    rows = session.execute(query.order_by(ValueOutlier.period.desc(), ValueOutlier.area_code).limit(limit + 1)).all()
    page = keyset_page(rows, limit, key=lambda row: [row[0].period, row[0].area_code])
    page.items = [{"indicator_code": o.indicator_code, "period": o.period, "area_code": o.area_code,
                   "area_name": name, "value": o.value, "median": o.median, "score": o.score,
                   "flagged_at": o.flagged_at} for o, name in page.items]
    return page
