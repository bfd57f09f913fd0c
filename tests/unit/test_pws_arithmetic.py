"""PWS arithmetic: cumulative coverage of a yearly sasaran, the target pro-rated to the period,
and the status baik / kurang / cukup / jelek from target and trend."""

from __future__ import annotations

import pytest
from minilok_indicators.domain.rollup import (
    Totals,
    cumulative_totals,
    meets_target,
    pws_status,
    rollup_value,
    target_for_period,
)


def month(numerator, sasaran, reports=1):
    return Totals(numerator, sasaran, reports)


def test_january_is_one_twelfth_of_the_year():
    assert target_for_period(100, "cumulative", "monthly", 1) == pytest.approx(100 / 12)
    running = cumulative_totals([month(10, 120)], "mean")
    assert rollup_value(running, 100, "percent") == pytest.approx(10 / 120 * 100)
    # 8.3 % in January meets a pro-rated 8.3 %, where against 100 % it would be "below target".
    assert meets_target(rollup_value(running, 100, "percent"), target_for_period(100, "cumulative", "monthly", 1),
                        "higher_is_better")


def test_a_quarter_and_december_and_the_year():
    assert target_for_period(90, "cumulative", "quarterly", 2) == pytest.approx(45)
    assert target_for_period(90, "cumulative", "monthly", 6) == pytest.approx(45)
    assert target_for_period(100, "cumulative", "monthly", 12) == pytest.approx(100)
    assert target_for_period(100, "cumulative", "yearly", 1) == pytest.approx(100)
    year = cumulative_totals([month(10, 120) for _ in range(12)], "mean")
    assert year.denominator == 120 and year.numerator == 120
    assert rollup_value(year, 100, "percent") == pytest.approx(100)


def test_a_period_indicator_keeps_its_target():
    for period_type, index in (("monthly", 1), ("quarterly", 3), ("yearly", 1)):
        assert target_for_period(80, "period", period_type, index) == 80
    assert target_for_period(None, "cumulative", "monthly", 3) is None


def test_a_year_with_missing_months_counts_nothing_served_for_them():
    # Reported January, February and April only (March missing): 30 served of a yearly 120.
    rows = [month(10, 120), month(10, 120), Totals(0.0, None, 0), month(10, 120)]
    running = cumulative_totals(rows, "mean")
    assert running.numerator == 30 and running.denominator == 120 and running.reports == 3
    assert rollup_value(running, 100, "percent") == pytest.approx(25)
    # Against April's pro-rated 33.3 % it is short.
    assert not meets_target(25, target_for_period(100, "cumulative", "monthly", 4), "higher_is_better")
    # Nothing reported at all: no value.
    assert rollup_value(cumulative_totals([Totals(0.0, None, 0)] * 3, "mean"), 100, "percent") is None


def test_a_sum_denominator_adds_up():
    running = cumulative_totals([Totals(2, 1000, 1), Totals(3, 1000, 1)], "sum")
    assert running.denominator == 2000 and running.numerator == 5


def test_lower_is_better_cumulative_ceiling_is_pro_rated_and_met_at_or_under_it():
    # An incidence of at most 10 per 100 000 in a year: 2.5 by March.
    ceiling = target_for_period(10, "cumulative", "monthly", 3)
    assert ceiling == pytest.approx(2.5)
    assert meets_target(2.0, ceiling, "lower_is_better")
    assert meets_target(2.5, ceiling, "lower_is_better")
    assert not meets_target(3.0, ceiling, "lower_is_better")


@pytest.mark.parametrize(("meets", "current", "previous", "status"), [
    (True, 10, 8, "baik"), (True, 10, 10, "baik"), (True, 10, None, "baik"),
    (True, 8, 10, "kurang"),
    (False, 10, 8, "cukup"),
    (False, 8, 10, "jelek"), (False, 8, 8, "jelek"), (False, 8, None, "jelek"),
    (None, 8, 10, None), (True, None, 10, None),
])
def test_pws_status_higher_is_better(meets, current, previous, status):
    assert pws_status(meets, current, previous, "higher_is_better") == status


@pytest.mark.parametrize(("meets", "current", "previous", "status"), [
    # Lower is better: "at or above target" is at or under the limit, "higher" is a fall.
    (True, 1.0, 2.0, "baik"), (True, 1.0, 1.0, "baik"),
    (True, 2.0, 1.0, "kurang"),
    (False, 5.0, 8.0, "cukup"),
    (False, 8.0, 5.0, "jelek"), (False, 8.0, 8.0, "jelek"),
])
def test_pws_status_lower_is_better(meets, current, previous, status):
    assert pws_status(meets, current, previous, "lower_is_better") == status
