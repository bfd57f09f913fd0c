"""Rollup arithmetic: value = sum(numerator) / sum(denominator) × factor.

A weighted ratio, not a mean of the areas' own percentages: a posyandu with 200 toddlers weighs
ten times one with 20. Denominators add up over areas; over time they add up ("sum", flows) or
are averaged ("mean", stocks such as population), per indicator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Totals:
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


def combine_area(months: Iterable[tuple[float, float | None]], denominator_aggregation: str) -> Totals:
    """One area's values over the months of a period."""
    rows = list(months)
    numerator = sum(n for n, _ in rows)
    dens = [d for _, d in rows if d is not None]
    if not dens:
        denominator = None
    elif denominator_aggregation == "mean":
        denominator = sum(dens) / len(dens)
    else:
        denominator = sum(dens)
    return Totals(numerator, denominator, len(rows))


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
    if value is None or target is None:
        return None
    if direction == "lower_is_better":
        return value <= target
    return value >= target


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
