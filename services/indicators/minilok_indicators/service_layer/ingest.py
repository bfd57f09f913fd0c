"""Reported values in: per-row validation, one `INSERT ... ON CONFLICT` per chunk, the rollups
of every affected area and its ancestors brought up to date (`aggregates`), then their
below-target check, all in the caller's transaction."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter

from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import forbidden
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from minilok_indicators.dialect import COPY_FROM, bulk_upsert, copy_timestamp, dialect_name, stage, upsert_staged
from minilok_indicators.domain.hierarchy import path_codes
from minilok_indicators.domain.periods import InvalidPeriod, parse_period_of_type
from minilok_indicators.domain.rollup import Totals, rollup_value, row_error
from minilok_indicators.models import Area, AreaRollup, Indicator, IndicatorValue
from minilok_indicators.schemas import ValueIn
from minilok_indicators.service_layer import aggregates, quality
from minilok_indicators.service_layer.areas import AreaRef, area_refs_by_code
from minilok_indicators.service_layer.rollups import targets_for
from minilok_indicators.service_layer.targets import check_targets

_value_in = TypeAdapter(ValueIn)

# What `ValueIn` surely accepts, checked without building a model (a bulk import's rows nearly all
# are such): codes of its pattern, a period of 4-7 plain characters, counts as plain decimals (or
# JSON numbers) within its range. Anything else goes through `ValueIn`, whose error is reported.
_FIELDS = frozenset(("indicator_code", "area_code", "period", "numerator", "denominator", "value"))
_CODE = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_PERIOD = re.compile(r"[A-Za-z0-9\-]{4,7}")
_DECIMAL = re.compile(r"-?[0-9]{1,13}(?:\.[0-9]{1,17})?")
_NOT_PLAIN = object()
Row = tuple  # (indicator_code, area_code, period, numerator, denominator, value)


def _count(cell):
    """A cell as ValueIn's float, or _NOT_PLAIN when only ValueIn can tell."""
    kind = type(cell)
    if kind is str:
        if not _DECIMAL.fullmatch(cell):
            return _NOT_PLAIN
        number = float(cell)
    elif kind is float:
        number = cell
    elif kind is int:
        if not -10**12 <= cell <= 10**12:
            return _NOT_PLAIN
        number = float(cell)
    else:
        return _NOT_PLAIN
    return number if -1e12 <= number <= 1e12 else _NOT_PLAIN


def _plain_row(raw) -> Row | None:
    if type(raw) is not dict or not raw.keys() <= _FIELDS:
        return None
    indicator_code, area_code, period = raw.get("indicator_code"), raw.get("area_code"), raw.get("period")
    if (type(indicator_code) is not str or type(area_code) is not str or type(period) is not str
            or not _CODE.fullmatch(indicator_code) or not _CODE.fullmatch(area_code)
            or not _PERIOD.fullmatch(period)):
        return None
    numerator = _count(raw.get("numerator"))
    denominator, value = raw.get("denominator"), raw.get("value")
    denominator = None if denominator is None else _count(denominator)
    value = None if value is None else _count(value)
    if numerator is _NOT_PLAIN or denominator is _NOT_PLAIN or value is _NOT_PLAIN:
        return None
    return indicator_code, area_code, period, numerator, denominator, value


def validate_row(raw) -> Row:
    """(indicator_code, area_code, period, numerator, denominator, value) of a row, as `ValueIn`
    gives them; raises its ValidationError."""
    row = _plain_row(raw)
    if row is not None:
        return row
    model = _value_in.validate_python(raw)
    return model.indicator_code, model.area_code, model.period, model.numerator, model.denominator, model.value


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def reject(self, index: int, field_name: str | None, detail: str) -> None:
        self.rejected.append({"index": index, "field": field_name, "detail": detail})


def _validation_detail(exc: ValidationError) -> tuple[str | None, str]:
    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    return (str(loc[0]) if loc else None), f"isian tidak sah / invalid input: {error['msg']}"


def working_area(session: Session, principal: Principal) -> Area | None:
    """The area a puskesmas token is limited to (its `area_code` claim); None for an admin."""
    if principal.role != "puskesmas":
        return None
    if principal.area_code is None:
        # Without its area a puskesmas could report for every area in the country.
        raise forbidden("Token puskesmas tanpa wilayah kerja tidak bisa mengirim nilai; buat token baru / "
                        "a puskesmas token without a working area cannot report values; create a new token")
    area = session.get(Area, principal.area_code)
    if area is None:
        raise forbidden(f"Wilayah kerja token {principal.area_code} tidak dikenal / "
                        f"the token's working area {principal.area_code} is unknown")
    return area


def ingest_values(session: Session, raw_rows: list, *, event_levels: frozenset[str] | None = None,
                  index_offset: int = 0, within: Area | None = None) -> IngestResult:
    """Validate and upsert rows; rejected ones are reported by index (plus `index_offset`).
    `within`: only this area and the areas beneath it may be reported (a puskesmas's own)."""
    result = IngestResult()
    parsed: list[tuple[int, Row]] = []
    for i, raw in enumerate(raw_rows):
        try:
            parsed.append((i, validate_row(raw)))
        except ValidationError as exc:
            result.reject(i + index_offset, *_validation_detail(exc))
    indicators = {i.code: i for i in session.scalars(
        select(Indicator).where(Indicator.code.in_({row[0] for _, row in parsed})))}
    areas = area_refs_by_code(session, [row[1] for _, row in parsed])
    # What the loop reads of each indicator, read off the ORM objects once per chunk, not per row.
    known = {code: (code, i.period_type, i.unit, i.factor) for code, i in indicators.items()}

    now = utcnow()
    periods: dict[tuple[str, str], str | InvalidPeriod] = {}
    latest: dict[tuple[str, str, str], dict] = {}
    for i, (indicator_code, area_code, period_cell, numerator, denominator, value_cell) in parsed:
        indicator = known.get(indicator_code)
        if indicator is None:
            result.reject(i + index_offset, "indicator_code",
                          f"indikator {indicator_code} tidak dikenal / unknown indicator")
            continue
        if area_code not in areas:
            result.reject(i + index_offset, "area_code", f"wilayah {area_code} tidak dikenal / unknown area")
            continue
        if within is not None and not areas[area_code].path.startswith(within.path):
            result.reject(i + index_offset, "area_code",
                          f"wilayah {area_code} di luar wilayah kerja {within.code} / "
                          f"area {area_code} is outside the working area {within.code}")
            continue
        code, period_type, unit, factor = indicator
        key = (period_cell, period_type)
        if key not in periods:  # a chunk holds a few distinct periods: each parsed once
            try:
                periods[key] = str(parse_period_of_type(*key))
            except InvalidPeriod as exc:
                periods[key] = exc
        period = periods[key]
        if isinstance(period, InvalidPeriod):
            result.reject(i + index_offset, "period", str(period))
            continue
        problem = row_error(unit, numerator, denominator, value_cell, factor)
        if problem:
            result.reject(i + index_offset, *problem)
            continue
        value = rollup_value(Totals(numerator, denominator, 1), factor, unit)
        # A later row for the same key wins, as it would row by row.
        latest[(code, period, area_code)] = {
            "indicator_code": code, "period": period, "area_code": area_code,
            "numerator": numerator, "denominator": denominator, "value": value, "updated_at": now,
        }
        result.accepted += 1
    result.rejected.sort(key=lambda r: r["index"])

    # In key order, so that concurrent batches lock shared rows in the same order (no deadlock).
    rows = [latest[key] for key in sorted(latest)]
    if rows:
        aggregates.lock_years(session, [(row["indicator_code"], row["period"][:4]) for row in rows])
        _write_values(session, indicators, areas, rows)
        quality.flag_outliers(session, indicators, rows)

    affected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        affected[(row["indicator_code"], row["period"])].update(path_codes(areas[row["area_code"]].path))
    _add_later_cumulative_periods(session, indicators, affected)
    needed = set().union(*affected.values()) - areas.keys() if affected else set()
    ancestors = {**areas, **area_refs_by_code(session, needed)}
    scopes: dict[str, dict] = defaultdict(dict)  # per indicator, all its periods checked at once
    for (indicator_code, period_text), codes in sorted(affected.items()):
        indicator = indicators[indicator_code]
        scopes[indicator_code][parse_period_of_type(period_text, indicator.period_type)] = sorted(
            (ancestors[code] for code in codes if event_levels is None or ancestors[code].level in event_levels),
            key=lambda a: a.path)
    for indicator_code, by_period in sorted(scopes.items()):
        indicator = indicators[indicator_code]
        scope = {code for (other, _), more in affected.items() if other == indicator_code for code in more}
        targets = targets_for(session, indicator, [ancestors[code] for code in scope])
        result.events += check_targets(session, indicator, by_period, targets)
    return result


_KEY = ["indicator_code", "period", "area_code"]
_VALUE_COLUMNS = [*_KEY, "numerator", "denominator", "value", "updated_at"]


def _set_new(excluded):
    return {c: excluded[c] for c in ("numerator", "denominator", "value", "updated_at")}


def _changed(excluded):
    # A row that reports what is already stored stays as it is (updated_at included): an import
    # run again over the same data changes nothing.
    table = IndicatorValue.__table__
    return or_(*(table.c[c].is_distinct_from(excluded[c]) for c in ("numerator", "denominator", "value")))


def _write_values(session: Session, indicators: dict[str, Indicator], areas: dict[str, AreaRef],
                  rows: list[dict]) -> None:
    """Upsert the rows (distinct keys, in key order) and add what they change to the rollups.

    A large PostgreSQL batch is staged once with COPY; the flows' rollup differences are worked
    out from the staged rows in SQL (`aggregates.apply_staged_flows`) and only the stocks' (a
    mean over months) in Python. Otherwise the stored values are read and `aggregates.changes`
    works out every difference."""
    table = IndicatorValue.__table__
    if dialect_name(session) == "postgresql" and len(rows) >= COPY_FROM:
        figures = itemgetter(*_VALUE_COLUMNS[:-1])  # updated_at last: COPY gets it as text
        staged = stage(session, table, _VALUE_COLUMNS,
                       ((*figures(row), copy_timestamp(row["updated_at"])) for row in rows))
        codes = {row["indicator_code"] for row in rows}
        means = {code for code in codes if indicators[code].denominator_aggregation == "mean"}
        aggregates.apply_staged_flows(session, staged.name, sorted(codes - means))
        stocks = [row for row in rows if row["indicator_code"] in means]
        # No stored values to pass: `changes` reads a stock's months itself (`before` is for flows).
        deltas = aggregates.changes(session, indicators, areas, {}, stocks) if stocks else {}
        upsert_staged(session, table, staged, _KEY, _set_new, _changed)
    else:
        before = aggregates.current_values(session, [tuple(row[c] for c in _KEY) for row in rows])
        deltas = aggregates.changes(session, indicators, areas, before, rows)
        bulk_upsert(session, table, rows, _KEY, _set_new, _changed)
    aggregates.apply(session, deltas)


def _add_later_cumulative_periods(session: Session, indicators: dict[str, Indicator],
                                  affected: dict[tuple[str, str], set[str]]) -> None:
    """A value of a cumulative indicator counts in every later period of its year (March's coverage
    is January..March): a late or corrected January changes February and March too, so those
    periods that already hold data are re-checked for the same areas (at most 11 key lookups per
    indicator and year)."""
    later: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (code, period_text), areas_touched in affected.items():
        indicator = indicators[code]
        if getattr(indicator, "target_basis", "period") != "cumulative" or indicator.period_type == "yearly":
            continue
        changed = parse_period_of_type(period_text, indicator.period_type)
        period = changed.next()
        while period.year == changed.year:
            later[(code, str(period))].update(areas_touched)
            period = period.next()
    if not later:
        return
    table = AreaRollup.__table__
    for (code, period_text), areas_touched in later.items():
        has_data = session.execute(select(table.c.area_code).where(
            table.c.indicator_code == code, table.c.period == period_text).limit(1)).first()
        if has_data is not None:
            affected[(code, period_text)].update(areas_touched)

