"""Rollup arithmetic of the indicators service (no I/O)."""

import pytest
from minilok_indicators.domain.rollup import (
    Totals,
    combine_area,
    combine_areas,
    meets_target,
    rollup_value,
    row_error,
    trend,
    worst_first_key,
)


def test_weighted_not_unweighted_average():
    # Posyandu A: 18 of 20 toddlers weighed (90%); posyandu B: 100 of 200 (50%).
    a, b = Totals(18, 20, 1), Totals(100, 200, 1)
    total = combine_areas([a, b])
    assert rollup_value(total, 100, "percent") == pytest.approx(118 / 220 * 100)  # 53.6%, weighted
    unweighted = (rollup_value(a, 100, "percent") + rollup_value(b, 100, "percent")) / 2
    assert unweighted == pytest.approx(70.0)
    assert rollup_value(total, 100, "percent") != pytest.approx(unweighted)


def test_zero_denominator_gives_no_value():
    assert rollup_value(Totals(0, 0, 1), 100, "percent") is None
    assert rollup_value(Totals(5, 0, 2), 100_000, "per_100k") is None


def test_nothing_reported_gives_no_value():
    assert rollup_value(Totals(0, None, 0), 1, "count") is None
    assert rollup_value(combine_areas([]), 100, "percent") is None


def test_counts_need_no_denominator():
    assert rollup_value(combine_areas([Totals(3, None, 1), Totals(4, None, 1)]), 1, "count") == 7


def test_zero_denominator_area_still_counts_in_the_sum():
    total = combine_areas([Totals(0, 0, 1), Totals(40, 50, 1)])
    assert rollup_value(total, 100, "percent") == pytest.approx(80.0)


def test_missing_months_add_up_what_was_reported():
    # D/S in a quarter with February missing: the two reported months, weighted.
    quarter = combine_area([(40, 50), (45, 50)], "sum")
    assert quarter == Totals(85, 100, 2)
    assert rollup_value(quarter, 100, "percent") == pytest.approx(85.0)


def test_stock_denominator_is_averaged_over_time():
    # Dengue incidence for a year: 12 months of cases over the population, not 12 × population.
    months = [(2, 100_000)] * 12
    year = combine_area(months, "mean")
    assert year == Totals(24, 100_000, 12)
    assert rollup_value(year, 100_000, "per_100k") == pytest.approx(24.0)
    assert rollup_value(combine_area(months, "sum"), 100_000, "per_100k") == pytest.approx(2.0)


def test_mean_denominator_with_a_missing_month_uses_the_reported_ones():
    assert combine_area([(1, 1000), (0, 1200)], "mean") == Totals(1, 1100, 2)


def test_meets_target_respects_direction():
    assert meets_target(85, 80, "higher_is_better") is True
    assert meets_target(75, 80, "higher_is_better") is False
    assert meets_target(80, 80, "higher_is_better") is True
    assert meets_target(12, 10, "lower_is_better") is False
    assert meets_target(10, 10, "lower_is_better") is True
    assert meets_target(None, 10, "lower_is_better") is None
    assert meets_target(5, None, "lower_is_better") is None


def test_worst_first_ordering():
    values = [70.0, None, 50.0, 90.0]
    assert sorted(values, key=lambda v: worst_first_key(v, "higher_is_better")) == [50.0, 70.0, 90.0, None]
    assert sorted(values, key=lambda v: worst_first_key(v, "lower_is_better")) == [90.0, 70.0, 50.0, None]


def test_trend_by_direction():
    assert trend(80, 70, "higher_is_better") == "improving"
    assert trend(80, 70, "lower_is_better") == "worsening"
    assert trend(70, 70, "lower_is_better") == "unchanged"
    assert trend(70, None, "lower_is_better") is None


@pytest.mark.parametrize("unit,numerator,denominator,value,field", [
    ("percent", -1, 10, None, "numerator"),
    ("percent", 1, -10, None, "denominator"),
    ("percent", 11, 10, None, "numerator"),
    ("percent", 5, None, None, "denominator"),
    ("percent", 5, 10, 20.0, "value"),
    ("count", 5, None, -1, "value"),
])
def test_row_errors_name_the_field(unit, numerator, denominator, value, field):
    factor = {"percent": 100, "count": 1}[unit]
    assert row_error(unit, numerator, denominator, value, factor)[0] == field


@pytest.mark.parametrize("unit,numerator,denominator,value", [
    ("percent", 5, 10, None),
    ("percent", 5, 10, 50.0),
    ("percent", 0, 0, None),
    ("per_100k", 30, 1000, None),  # a rate may exceed its denominator's scale
    ("count", 7, None, 7),
])
def test_valid_rows(unit, numerator, denominator, value):
    factor = {"percent": 100, "per_100k": 100_000, "count": 1}[unit]
    assert row_error(unit, numerator, denominator, value, factor) is None
