"""Reporting periods and the area hierarchy rules (no I/O)."""

import pytest
from minilok_indicators.domain.hierarchy import (
    child_path,
    order_parents_first,
    parent_level_error,
    path_codes,
    subtree_upper_bound,
)
from minilok_indicators.domain.periods import InvalidPeriod, Period, parse_period, parse_period_of_type


@pytest.mark.parametrize("text,expected", [
    ("2026-01", Period(2026, "monthly", 1)),
    ("2026-12", Period(2026, "monthly", 12)),
    ("2026Q3", Period(2026, "quarterly", 3)),
    ("2026", Period(2026, "yearly", 1)),
])
def test_parse_and_format(text, expected):
    assert parse_period(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "2026Q5", "2026Q0", "26", "2026-00", "", "2026q1", "Q1"])
def test_invalid_periods(text):
    with pytest.raises(InvalidPeriod):
        parse_period(text)


@pytest.mark.parametrize("text", ["0000", "0000-01", "0000Q1", "0999-12", "2026-01\n", "2026\n",
                                  "\u0662\u0660\u0662\u0666", "10000", "2026-13"])
def test_periods_without_a_real_year_are_invalid(text):
    with pytest.raises(InvalidPeriod):
        parse_period(text)


def test_period_must_match_the_indicator_type():
    assert parse_period_of_type("2026-02", "monthly") == Period(2026, "monthly", 2)
    with pytest.raises(InvalidPeriod, match="monthly"):
        parse_period_of_type("2026Q1", "monthly")
    with pytest.raises(InvalidPeriod, match="2026Q1"):
        parse_period_of_type("2026", "quarterly")


def test_quarters_and_years_are_made_of_months():
    assert [str(p) for p in parse_period("2026Q2").parts("monthly")] == ["2026-04", "2026-05", "2026-06"]
    assert len(parse_period("2026").parts("monthly")) == 12
    assert [str(p) for p in parse_period("2026").parts("quarterly")] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert parse_period("2026Q1").parts("quarterly") == [parse_period("2026Q1")]


def test_a_month_cannot_roll_up_a_quarterly_indicator():
    with pytest.raises(InvalidPeriod):
        parse_period("2026-01").parts("quarterly")
    with pytest.raises(InvalidPeriod):
        parse_period("2026Q1").parts("yearly")


@pytest.mark.parametrize("text,previous", [("2026-01", "2025-12"), ("2026-07", "2026-06"), ("2026Q1", "2025Q4"),
                                           ("2026Q3", "2026Q2"), ("2026", "2025")])
def test_previous_period(text, previous):
    assert str(parse_period(text).previous()) == previous


def test_level_rules():
    assert parent_level_error("kelurahan", "kecamatan") is None
    assert parent_level_error("desa", "kecamatan") is None
    assert parent_level_error("posyandu", "rw") is None
    assert parent_level_error("posyandu", "desa") is None
    assert parent_level_error("rt", "rw") is None
    assert "kecamatan" in parent_level_error("kelurahan", "kota")
    assert parent_level_error("posyandu", "kecamatan") is not None
    assert parent_level_error("provinsi", "provinsi") is not None


def test_paths():
    kota = child_path(child_path(None, "21"), "21.71")
    assert kota == "/21/21.71/"
    assert path_codes(kota) == ["21", "21.71"]
    upper = subtree_upper_bound(kota)
    assert kota <= "/21/21.71/21.71.06/" < upper
    assert not ("/21/21.710/" < upper and "/21/21.710/" >= kota)  # a sibling sharing a prefix is outside


def test_parents_first_in_any_order():
    items = [("c", "b"), ("b", "a"), ("a", None), ("x", "existing")]
    order, cyclic = order_parents_first(items)
    assert not cyclic
    position = {items[i][0]: n for n, i in enumerate(order)}
    assert position["a"] < position["b"] < position["c"]


def test_cycles_are_found():
    _order, cyclic = order_parents_first([("a", "b"), ("b", "a"), ("c", None)])
    assert cyclic == {0, 1}
