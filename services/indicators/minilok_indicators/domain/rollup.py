"""Rollup arithmetic: value = sum(numerator) / sum(denominator) × factor.

A weighted ratio, not a mean of the areas' own percentages: a posyandu with 200 toddlers weighs
ten times one with 20. Denominators add up over areas; over time they add up ("sum", flows) or
are averaged ("mean", stocks such as population), per indicator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple


class Totals(NamedTuple):
    """A tuple, not a frozen dataclass: a national check builds hundreds of thousands per chunk,
    and a frozen dataclass's __init__ cost several times a tuple's."""
    numerator: float
    denominator: float | None
    reports: int = 0  # how many stored values went into it


def rollup_value(totals: Totals, factor: float, unit: str) -> float | None:
    """None when nothing was reported or the denominator is zero (no rate can be given)."""
    if totals.reports == 0:
        return None
    if unit == "count" and not totals.denominator:
        return totals.numerator * factor
    if not totals.denominator:
        return None
    value = totals.numerator / totals.denominator * factor
    return value if math.isfinite(value) else None


def aggregate_denominator(dens: list[float], denominator_aggregation: str) -> float | None:
    """Denominators over time: summed (flows) or averaged (stocks); None when none was given."""
    if not dens:
        return None
    if denominator_aggregation == "mean":
        return sum(dens) / len(dens)
    return sum(dens)


def combine_area(months: Iterable[tuple[float, float | None]], denominator_aggregation: str) -> Totals:
    """One area's values over the months of a period."""
    rows = list(months)
    numerator = sum(n for n, _ in rows)
    dens = [d for _, d in rows if d is not None]
    return Totals(numerator, aggregate_denominator(dens, denominator_aggregation), len(rows))


def combine_areas(parts: Iterable[Totals]) -> Totals:
    """Areas add up: numerators and denominators both sum."""
    numerator, denominator, reports, any_den = 0.0, 0.0, 0, False
    for part in parts:
        numerator += part.numerator
        if part.denominator is not None:
            denominator += part.denominator
            any_den = True
        reports += part.reports
    return Totals(numerator, denominator if any_den else None, reports)


def meets_target(value: float | None, target: float | None, direction: str) -> bool | None:
    """At or above the target (at or under it when lower is better), with a hair of tolerance: 10
    of a yearly 120 in January is 8.33 % and meets 100 × 1/12 whatever the floating point says."""
    if value is None or target is None:
        return None
    slack = 1e-9 * max(1.0, abs(target))
    if direction == "lower_is_better":
        return value <= target + slack
    return value >= target - slack


def worst_first_key(value: float | None, direction: str) -> tuple[int, float]:
    """Sort key for PWS ranking: worst value first, areas without data last."""
    if value is None:
        return (1, 0.0)
    return (0, -value if direction == "lower_is_better" else value)


def row_error(unit: str, numerator: float, denominator: float | None, value: float | None,
              factor: float) -> tuple[str, str] | None:
    """Why one reported row is invalid, as (field, message), or None."""
    if numerator < 0:
        return "numerator", "numerator tidak boleh negatif / numerator must not be negative"
    if denominator is not None and denominator < 0:
        return "denominator", "denominator tidak boleh negatif / denominator must not be negative"
    if denominator is None and unit != "count":
        return "denominator", f"denominator wajib untuk satuan {unit} / denominator is required for unit {unit}"
    if unit == "percent" and denominator is not None and numerator > denominator:
        return "numerator", ("numerator lebih besar dari denominator untuk persentase / "
                             "numerator exceeds denominator for a percentage")
    if value is not None:
        computed = rollup_value(Totals(numerator, denominator, 1), factor, unit)
        if value < 0:
            return "value", "value tidak boleh negatif / value must not be negative"
        if computed is not None and abs(computed - value) > max(0.01, abs(computed) * 0.005):
            return "value", (f"value {value} tidak cocok dengan numerator/denominator ({computed:.4g}) / "
                             f"value {value} does not match numerator/denominator ({computed:.4g})")
    return None


def trend(current: float | None, previous: float | None, direction: str) -> str | None:
    """'improving', 'worsening' or 'unchanged' against the previous period, by the indicator's direction."""
    if current is None or previous is None:
        return None
    if abs(current - previous) < 1e-9:
        return "unchanged"
    better = current > previous if direction == "higher_is_better" else current < previous
    return "improving" if better else "worsening"


# --- PWS: cumulative coverage, pro-rated targets, status -----------------------------------------

TARGET_BASES = ("period", "cumulative")
PWS_STATUSES = ("baik", "kurang", "cukup", "jelek")
# Worst first: the order of the proposals for the next minilok.
PWS_SEVERITY = {"jelek": 0, "cukup": 1, "kurang": 2, "baik": 3}


def year_fraction(period_type: str, index: int) -> float:
    """How much of the year a period ends at: month m → m/12, quarter q → q/4, the year → 1."""
    if period_type == "monthly":
        return index / 12
    if period_type == "quarterly":
        return index / 4
    return 1.0


def target_for_period(target: float | None, target_basis: str, period_type: str, index: int) -> float | None:
    """The target a period is measured against: a cumulative indicator's yearly target pro-rated
    to the end of the period (target × m/12 for month m, × q/4 for quarter q, the target for the
    year); a period indicator's target as it is. Pro-rated whatever the direction: a yearly ceiling
    (e.g. an incidence) reached by the month is pro-rated the same way."""
    if target is None:
        return None
    if target_basis != "cumulative":
        return target
    return target * year_fraction(period_type, index)


def cumulative_totals(rows: Iterable[Totals], denominator_aggregation: str) -> Totals:
    """One area's year to date from its period rows (January..m, each the subtree's totals):
    numerators add up; the sasaran of a "mean" indicator is the yearly target group, so the
    rows' denominators are averaged over the periods that reported one (a "sum" indicator adds
    them). Periods with no report are skipped: their numerator counts as nothing served."""
    numerator, dens, reports = 0.0, [], 0
    for row in rows:
        if not row.reports:
            continue
        numerator += row.numerator
        reports += row.reports
        if row.denominator is not None:
            dens.append(row.denominator)
    return Totals(numerator, aggregate_denominator(dens, denominator_aggregation), reports)


def pws_status(meets: bool | None, current: float | None, previous: float | None, direction: str) -> str | None:
    """PWS status from the target and the trend against the previous period:

    baik   at or above target, not lower than the previous period
    kurang at or above target, lower than the previous period
    cukup  below target, higher than the previous period
    jelek  below target, not higher than the previous period

    "At or above target" is `meets` (for a lower-is-better indicator: at or under the limit) and
    "higher" is better, by the indicator's direction: for a lower-is-better indicator a falling
    value is the "higher" of the rule. No previous value: no trend to hold against it (baik when
    the target is met, jelek when not). None when there is no value or no target."""
    if meets is None or current is None:
        return None
    moved = trend(current, previous, direction)
    if meets:
        return "kurang" if moved == "worsening" else "baik"
    return "cukup" if moved == "improving" else "jelek"
