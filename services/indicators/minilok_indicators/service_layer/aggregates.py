"""Rollups kept up to date on ingest, so that reading one at any level is a primary-key lookup.

`area_rollups` holds, per (indicator, period, area), the totals of every value in the area's
subtree, for each period a value counts towards: a monthly value counts towards its month, its
quarter and its year. The national row ("ID") adds up every root area.

What an area contributes to a period is its own values over that period: numerators add up;
denominators add up ("sum", flows) or are averaged over the months the area reported ("mean",
stocks such as population). An ingest works out, per area and period, how that contribution
changed and adds the difference to the area and every ancestor: a few rows per value, in one
`INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x` statement per batch.

Concurrent ingests of the same indicator and year take a transaction lock first, so each sees
the other's committed values before working out its differences. `rebuild` recomputes the
table from the values with a handful of set-based statements (migration, repair, a changed
denominator rule).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, load_only

from minilok_indicators.dialect import analyze_once, bulk_upsert, dialect_name, in_batches, transaction_lock
from minilok_indicators.domain.hierarchy import NATIONAL, path_codes
from minilok_indicators.domain.periods import Period, parse_period_of_type
from minilok_indicators.models import Area, AreaRollup, Indicator, IndicatorValue

_COLUMNS = ("numerator", "denominator", "denominator_reports", "reports")


def containing_periods(period: Period) -> list[Period]:
    """The periods a stored value counts towards: itself and the longer ones that hold it."""
    year = Period(period.year, "yearly", 1)
    if period.type == "monthly":
        return [period, Period(period.year, "quarterly", (period.index - 1) // 3 + 1), year]
    if period.type == "quarterly":
        return [period, year]
    return [period]


def ancestors(area: Area) -> list[str]:
    """Every row a value of this area adds to: the area, its ancestors and the nation."""
    return [*path_codes(area.path), NATIONAL]


def _contribution(values: Iterable[tuple[float, float | None]], mean: bool) -> tuple[float, float, int, int]:
    """One area's own values over one period, as it adds to the rows above it: the rollup's
    (numerator, denominator, denominator_reports, reports)."""
    numerator, dens, reports = 0.0, [], 0
    for value_numerator, value_denominator in values:
        numerator += value_numerator
        reports += 1
        if value_denominator is not None:
            dens.append(value_denominator)
    denominator = (sum(dens) / len(dens) if mean else sum(dens)) if dens else 0.0
    return numerator, denominator, len(dens), reports


def _difference(before: tuple, after: tuple) -> list:
    """after - before, column by column (a change as `_add_to` sums them)."""
    return [new - old for old, new in zip(before, after, strict=True)]


def lock_years(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """Serialise ingests of the same (indicator, year), in one order everywhere (no deadlock)."""
    for indicator_code, year in sorted(set(keys)):
        transaction_lock(session, f"minilok-indicators-values-{indicator_code}-{year}")


def current_values(session: Session, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], tuple]:
    """The stored (numerator, denominator) of these (indicator, period, area) keys, where stored.

    Asked as indicator = ? AND period IN (...) AND area_code IN (...) (ranges on the primary
    key) and narrowed here: a batch is mostly a few indicators and periods over many areas."""
    wanted = set(keys)
    by_indicator: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for code, period, area in keys:
        by_indicator[code][0].add(period)
        by_indicator[code][1].add(area)
    found: dict[tuple[str, str, str], tuple] = {}
    for code, (periods, area_codes) in by_indicator.items():
        for in_part in in_batches(session, IndicatorValue.area_code, area_codes):
            for period, area, numerator, denominator in session.execute(
                    select(IndicatorValue.period, IndicatorValue.area_code, IndicatorValue.numerator,
                           IndicatorValue.denominator)
                    .where(IndicatorValue.indicator_code == code, IndicatorValue.period.in_(sorted(periods)),
                           in_part)).all():
                if (code, period, area) in wanted:
                    found[(code, period, area)] = (numerator, denominator)
    return found


def _area_values_in_years(session: Session, indicator: Indicator, area_years: set[tuple[str, int]]):
    """Every stored value of these (area, year) pairs: what a "mean" denominator averages over."""
    by_area: dict[str, set[int]] = defaultdict(set)
    for area_code, year in area_years:
        by_area[area_code].add(year)
    years = sorted({year for _, year in area_years})
    periods = sorted({str(p) for year in years for p in Period(year, "yearly", 1).parts(indicator.period_type)})
    rows: dict[tuple[str, str], tuple] = {}
    for in_part in in_batches(session, IndicatorValue.area_code, by_area):
        for area_code, period, numerator, denominator in session.execute(
                select(IndicatorValue.area_code, IndicatorValue.period, IndicatorValue.numerator,
                       IndicatorValue.denominator)
                .where(IndicatorValue.indicator_code == indicator.code, in_part,
                       IndicatorValue.period.in_(periods))):
            rows[(area_code, period)] = (numerator, denominator)
    return rows


def _add_to(sums: dict, key, change) -> None:
    """sums[key] += change, column by column ([numerator, denominator, denominator_reports, reports])."""
    total = sums.get(key)
    if total is None:
        sums[key] = [*change]
    else:
        total[0] += change[0]
        total[1] += change[1]
        total[2] += change[2]
        total[3] += change[3]


def changes(session: Session, indicators: dict[str, Indicator], areas: dict[str, Area],
            before: dict[tuple[str, str, str], tuple], after: list[dict]) -> dict[tuple[str, str, str], list]:
    """What the upsert of `after` (rows of indicator_values) does to every rollup row above it,
    given the values `before` it; call before writing `after`. Each change is
    [numerator, denominator, denominator_reports, reports] (plain lists: a chunk makes hundreds
    of thousands of them)."""
    own: dict[tuple[str, str, str], list] = {}  # each area's own change
    by_indicator: dict[str, list[dict]] = defaultdict(list)
    for row in after:
        by_indicator[row["indicator_code"]].append(row)
    for code, rows in by_indicator.items():
        indicator = indicators[code]
        mean = indicator.denominator_aggregation == "mean"
        # Per (area, aggregate period): the values before and after, when the rule needs them all.
        if mean:
            area_years = {(row["area_code"], int(row["period"][:4])) for row in rows}
            stored = _area_values_in_years(session, indicator, area_years)
            updated = {**stored, **{(row["area_code"], row["period"]): (row["numerator"], row["denominator"])
                                    for row in rows}}
            touched: set[tuple[str, Period]] = set()
            for row in rows:
                period = parse_period_of_type(row["period"], indicator.period_type)
                touched.update((row["area_code"], p) for p in containing_periods(period))
            for area_code, period in touched:
                parts = [str(p) for p in period.parts(indicator.period_type)]
                old = _contribution((stored[(area_code, p)] for p in parts if (area_code, p) in stored), True)
                new = _contribution((updated[(area_code, p)] for p in parts if (area_code, p) in updated), True)
                _add_to(own, (code, str(period), area_code), _difference(old, new))
        else:
            # A flow: the area's own total of a period is its one value there, so the change is
            # the new value less the stored one (what `_contribution` gives, without the objects).
            containing: dict[str, list[str]] = {}  # per period text, parsed once
            for row in rows:
                period_text, area_code = row["period"], row["area_code"]
                numerator, denominator = row["numerator"], row["denominator"]
                old_row = before.get((code, period_text, area_code))
                if old_row is None:
                    change = (0.0 + numerator, 0.0 if denominator is None else 0.0 + denominator,
                              0 if denominator is None else 1, 1)
                else:
                    old_numerator, old_denominator = old_row
                    change = (numerator - old_numerator,
                              (0.0 if denominator is None else denominator)
                              - (0.0 if old_denominator is None else old_denominator),
                              (denominator is not None) - (old_denominator is not None), 0)
                if not (change[0] or change[1] or change[2] or change[3]):
                    continue
                periods = containing.get(period_text)
                if periods is None:
                    periods = containing[period_text] = [str(p) for p in containing_periods(
                        parse_period_of_type(period_text, indicator.period_type))]
                for containing_period in periods:
                    _add_to(own, (code, containing_period, area_code), change)
    return _spread(own, areas)


def _spread(own: dict[tuple[str, str, str], list], areas: dict[str, Area]) -> dict[tuple[str, str, str], list]:
    """Each area's own change added to its row, its ancestors' and the nation's: level by level
    from the deepest, so that a parent adds up its children's sums once (a few additions per
    value, not one per value and ancestor)."""
    parent: dict[str, str] = {}
    depth: dict[str, int] = {NATIONAL: 0}
    for area_code in {key[2] for key in own}:
        chain = ancestors(areas[area_code])
        for i, code in enumerate(chain[:-1]):
            parent[code] = chain[i - 1] if i else NATIONAL
            depth[code] = i + 1
    levels: dict[int, dict[tuple[str, str, str], list]] = defaultdict(dict)
    for key, change in own.items():
        if any(change):
            _add_to(levels[depth[key[2]]], key, change)
    for level in range(max(levels, default=0), 0, -1):
        up = levels[level - 1]
        for (code, period, area_code), change in levels[level].items():
            _add_to(up, (code, period, parent[area_code]), change)
    return {key: change for rows in levels.values() for key, change in rows.items() if any(change)}


def apply(session: Session, deltas: dict[tuple[str, str, str], list]) -> None:
    """Add the differences to the rollup rows, creating missing ones, in key order."""
    if not deltas:
        return
    table = AreaRollup.__table__
    rows = [(*key, *deltas[key]) for key in sorted(deltas)]
    bulk_upsert(session, table, rows, ["indicator_code", "period", "area_code"],
                lambda excluded: {c: table.c[c] + excluded[c] for c in _COLUMNS},
                columns=["indicator_code", "period", "area_code", *_COLUMNS])


# --- flows of a large PostgreSQL batch: the same differences, worked out in SQL -----------------

# The stored period text → the periods it counts towards (`containing_periods`): '2026-04' →
# itself, '2026Q2', '2026'; '2026Q3' → itself, '2026'; '2026' → itself (NULLs are dropped).
_CONTAINING_SQL = (
    "(VALUES (c.period), "
    "(CASE WHEN length(c.period) = 7 THEN substr(c.period, 1, 4) || 'Q' || "
    "CAST((CAST(substr(c.period, 6, 2) AS INTEGER) + 2) / 3 AS TEXT) END), "
    "(CASE WHEN length(c.period) > 4 THEN substr(c.period, 1, 4) END)) AS p(period)"
)
_CHANGES = "rollup_changes"
SQL_WORK_MEM = "64MB"  # per sort or hash of a chunk's statements, for the transaction only


def apply_staged_flows(session: Session, staged: str, codes: list[str]) -> None:
    """What `changes` + `apply` do for the flows (`codes`) among the rows staged in the TEMP table
    `staged` (columns of indicator_values), in a handful of statements and nothing read back:
    each row's change against the stored value (call before the values are written), added to the
    periods it counts towards, summed level by level from the deepest area up to the nation, and
    added to `area_rollups` in key order. The sums may add in another order than Python's (the
    same up to float rounding; counts, whole numbers, add up exactly either way)."""
    if not codes:
        return
    # A chunk's changes are sorted and summed in memory (the default 4 MB spills them to disk).
    session.execute(text(f"SET LOCAL work_mem = '{SQL_WORK_MEM}'"))
    session.execute(text(
        f"CREATE TEMP TABLE IF NOT EXISTS {_CHANGES} (indicator_code VARCHAR(64), period VARCHAR(7), "
        f"area_code VARCHAR(64), depth INTEGER, numerator FLOAT, denominator FLOAT, "
        f"denominator_reports INTEGER, reports INTEGER)"))
    session.execute(text(f"TRUNCATE {_CHANGES}"))
    # Each row's own change: the new value less the stored one (a new row: itself, one report).
    session.execute(text(
        f"INSERT INTO {_CHANGES} "
        f"SELECT c.indicator_code, p.period, c.area_code, a.depth, sum(c.numerator), sum(c.denominator), "
        f"       sum(c.denominator_reports), sum(c.reports) "
        f"FROM (SELECT s.indicator_code, s.period, s.area_code, "
        f"             s.numerator - coalesce(v.numerator, 0) AS numerator, "
        f"             coalesce(s.denominator, 0) - coalesce(v.denominator, 0) AS denominator, "
        f"             CAST(s.denominator IS NOT NULL AS INTEGER) - CAST(v.denominator IS NOT NULL AS INTEGER) "
        f"               AS denominator_reports, "
        f"             CAST(v.indicator_code IS NULL AS INTEGER) AS reports "
        f"      FROM {staged} s LEFT JOIN indicator_values v ON v.indicator_code = s.indicator_code "
        f"           AND v.period = s.period AND v.area_code = s.area_code "
        f"      WHERE s.indicator_code = ANY(:codes)) c "
        f"CROSS JOIN LATERAL {_CONTAINING_SQL} "
        f"JOIN areas a ON a.code = c.area_code "
        f"WHERE p.period IS NOT NULL AND (c.numerator <> 0 OR c.denominator <> 0 "
        f"      OR c.denominator_reports <> 0 OR c.reports <> 0) "
        f"GROUP BY c.indicator_code, p.period, c.area_code, a.depth"), {"codes": codes})
    analyze_once(session, _CHANGES)
    deepest = session.scalar(text(f"SELECT max(depth) FROM {_CHANGES}"))
    if deepest is None:
        return
    sums = "sum(r.numerator), sum(r.denominator), sum(r.denominator_reports), sum(r.reports)"
    for depth in range(deepest, 0, -1):  # a parent adds up its children's sums once
        session.execute(text(
            f"INSERT INTO {_CHANGES} SELECT r.indicator_code, r.period, a.parent_code, :parent_depth, {sums} "
            f"FROM {_CHANGES} r JOIN areas a ON a.code = r.area_code WHERE r.depth = :depth "
            f"GROUP BY r.indicator_code, r.period, a.parent_code"), {"depth": depth, "parent_depth": depth - 1})
    session.execute(text(
        f"INSERT INTO {_CHANGES} SELECT r.indicator_code, r.period, :national, -1, {sums} "
        f"FROM {_CHANGES} r WHERE r.depth = 0 GROUP BY r.indicator_code, r.period"), {"national": NATIONAL})
    updates = ", ".join(f"{c} = area_rollups.{c} + excluded.{c}" for c in _COLUMNS)
    session.execute(text(
        f"INSERT INTO area_rollups (indicator_code, period, area_code, {', '.join(_COLUMNS)}) "
        f"SELECT r.indicator_code, r.period, r.area_code, {sums} FROM {_CHANGES} r "
        f"GROUP BY r.indicator_code, r.period, r.area_code "
        f"HAVING sum(r.numerator) <> 0 OR sum(r.denominator) <> 0 OR sum(r.denominator_reports) <> 0 "
        f"       OR sum(r.reports) <> 0 "
        f"ORDER BY r.indicator_code, r.period, r.area_code "
        f"ON CONFLICT (indicator_code, period, area_code) DO UPDATE SET {updates}"))


# --- rebuild: the whole table from the values, set-based ------------------------------------------

def _own_contributions_sql(indicator: Indicator) -> str:
    """Each area's own totals per period the indicator's values count towards (SQL text)."""
    over_time = "avg" if indicator.denominator_aggregation == "mean" else "sum"
    # Stored period text → the longer periods: '2026-04' → '2026Q2' / '2026'; '2026Q3' → '2026'.
    expressions = {"monthly": ["v.period"], "quarterly": ["v.period"], "yearly": ["v.period"]}
    quarter_of_month = ("substr(v.period, 1, 4) || 'Q' || "
                        "CAST((CAST(substr(v.period, 6, 2) AS INTEGER) + 2) / 3 AS VARCHAR(1))")
    expressions["monthly"] += [quarter_of_month, "substr(v.period, 1, 4)"]
    expressions["quarterly"] += ["substr(v.period, 1, 4)"]
    selects = [
        f"SELECT v.area_code AS area_code, {expression} AS period, sum(v.numerator) AS numerator, "
        f"coalesce({over_time}(v.denominator), 0) AS denominator, count(v.denominator) AS denominator_reports, "
        f"count(*) AS reports FROM indicator_values v JOIN areas a ON a.code = v.area_code "
        f"WHERE v.indicator_code = :indicator AND a.depth = :depth GROUP BY v.area_code, {expression}"
        for expression in expressions[indicator.period_type]
    ]
    return " UNION ALL ".join(selects)


def rebuild(session: Session, indicator_codes: Iterable[str] | None = None) -> int:
    """Recompute `area_rollups` from the values, deepest areas first: an area's row is its own
    contribution plus its children's rows. Returns the number of rows written."""
    # Only the columns a rebuild needs: migration 0003 runs it on a database that does not have the
    # indicator columns added later (target_basis, ...), so it must not select them.
    query = select(Indicator).options(load_only(Indicator.code, Indicator.period_type,
                                                Indicator.denominator_aggregation)).order_by(Indicator.code)
    if indicator_codes is not None:
        query = query.where(Indicator.code.in_(list(indicator_codes)))
    max_depth = session.scalar(select(Area.depth).order_by(Area.depth.desc()).limit(1))
    written = 0
    table = AreaRollup.__table__
    columns = "indicator_code, period, area_code, numerator, denominator, denominator_reports, reports"
    sums = "sum(numerator), sum(denominator), sum(denominator_reports), sum(reports)"
    r_sums = "sum(r.numerator), sum(r.denominator), sum(r.denominator_reports), sum(r.reports)"
    if dialect_name(session) == "postgresql":
        # Ingests wait at their first write to the table until the rebuild commits, and the
        # rebuild waits for ingests already writing: each sees the other's values (SQLite
        # admits one writer at a time anyway).
        session.execute(text("LOCK TABLE area_rollups IN EXCLUSIVE MODE"))
    for indicator in session.scalars(query).all():
        session.execute(delete(table).where(table.c.indicator_code == indicator.code))
        if max_depth is None:
            continue
        own = _own_contributions_sql(indicator)
        for depth in range(max_depth, -1, -1):
            statement = text(
                f"INSERT INTO area_rollups ({columns}) "
                f"SELECT CAST(:indicator AS VARCHAR(64)), period, area_code, {sums} FROM ("
                f"  {own} UNION ALL "
                f"  SELECT a.parent_code AS area_code, r.period, r.numerator, r.denominator, "
                f"         r.denominator_reports, r.reports "
                f"  FROM area_rollups r JOIN areas a ON a.code = r.area_code "
                f"  WHERE r.indicator_code = :indicator AND a.depth = :child_depth"
                f") contributions GROUP BY period, area_code"
            )
            written += session.execute(statement, {"indicator": indicator.code, "depth": depth,
                                                   "child_depth": depth + 1}).rowcount or 0
        written += session.execute(text(
            f"INSERT INTO area_rollups ({columns}) "
            f"SELECT CAST(:indicator AS VARCHAR(64)), r.period, CAST(:national AS VARCHAR(64)), {r_sums} "
            f"FROM area_rollups r JOIN areas a ON a.code = r.area_code "
            f"WHERE r.indicator_code = :indicator AND a.parent_code IS NULL GROUP BY r.period"
        ), {"indicator": indicator.code, "national": NATIONAL}).rowcount or 0
    return written


def stored_totals(session: Session, indicator_code: str, period: str, codes: Iterable[str]) -> dict[str, tuple]:
    """(numerator, denominator, denominator_reports, reports) of these areas' rollup rows
    (absent: nothing reported beneath them)."""
    table = AreaRollup.__table__
    found: dict[str, tuple] = {}
    for in_part in in_batches(session, table.c.area_code, codes):
        for area_code, *figures in session.execute(
                select(table.c.area_code, *(table.c[c] for c in _COLUMNS)).where(
                    table.c.indicator_code == indicator_code, table.c.period == period, in_part)):
            found[area_code] = tuple(figures)
    return found

