"""The indicators page's words: a lower-is-better indicator (DBD incidence against a limit of 10)
is "di atas batas" at 25 and its fall reads "membaik ▼", a rise "memburuk ▲"; a higher-is-better
one reads "di bawah target" / "membaik ▲"; the trend's axis names month and year; an area without
data is never ranked."""

from __future__ import annotations

import pytest
from minilok_meetings.web.indicator_page import (
    axis_label,
    months_up_to,
    split_ranking,
    target_words,
    trend_chart,
    trend_words,
)


@pytest.mark.parametrize(("meets", "direction", "lang", "text", "tone"), [
    (False, "lower_is_better", "id", "di atas batas", "bad"),  # DBD IR 25 against a limit of 10
    (True, "lower_is_better", "id", "di bawah batas", "good"),
    (False, "higher_is_better", "id", "di bawah target", "bad"),  # D/S 61 against 80
    (True, "higher_is_better", "id", "memenuhi target", "good"),
    (None, "lower_is_better", "id", "belum ada data", "none"),
    (False, "lower_is_better", "en", "over the limit", "bad"),
    (True, "higher_is_better", "en", "meets the target", "good"),
])
def test_standing_against_the_target_follows_the_direction(meets, direction, lang, text, tone):
    words = target_words(meets, direction, lang)
    assert (words.text, words.tone) == (text, tone)


@pytest.mark.parametrize(("trend", "change", "lang", "text", "tone"), [
    # Lower is better: the indicators service calls a fall "improving" and a rise "worsening".
    ("improving", -25.63, "id", "membaik ▼", "good"),
    ("worsening", 25.63, "id", "memburuk ▲", "bad"),
    # Higher is better: a rise improves, a fall worsens.
    ("improving", 1.5, "id", "membaik ▲", "good"),
    ("worsening", -0.19, "id", "memburuk ▼", "bad"),
    ("unchanged", 0.0, "id", "tetap –", "none"),
    ("improving", -3.0, "en", "improving ▼", "good"),
])
def test_the_trend_word_follows_the_direction_and_the_arrow_the_number(trend, change, lang, text, tone):
    words = trend_words(trend, change, lang)
    assert (words.text, words.tone) == (text, tone)


def test_no_trend_without_a_previous_value():
    assert trend_words(None, None) is None


def test_the_axis_shows_month_and_year():
    assert axis_label("2026-05") == "Mei '26"
    assert axis_label("2025-12", "en") == "Dec '25"
    assert axis_label("2026Q1") == "Triwulan I 2026"
    months = months_up_to("2026-02")
    assert months[0] == "2025-03" and months[-1] == "2026-02" and len(months) == 12
    chart = trend_chart([(m, 50.0 + i) for i, m in enumerate(months)], 80.0)
    assert [label["text"] for label in chart["labels"]][:2] == ["Mar '25", "Apr '25"]
    assert chart["labels"][-1]["text"] == "Feb '26"  # the year changes on the axis, never a bare "02"
    assert chart["dots"][0]["label"] == "Maret 2025"


def test_a_chart_without_any_value_is_empty_even_with_a_target():
    assert trend_chart([("2026-01", None), ("2026-02", None)], 80.0) == {"empty": True}


def test_areas_without_data_are_not_ranked():
    items = [{"area_code": "A", "value": 61.0}, {"area_code": "B", "value": 77.0}, {"area_code": "C", "value": None}]
    ranked, unranked = split_ranking(items)
    assert [(r["area_code"], r["rank"]) for r in ranked] == [("A", 1), ("B", 2)]
    assert [(r["area_code"], r["rank"]) for r in unranked] == [("C", None)]
    assert split_ranking([{"area_code": "C", "value": None}]) == ([], [{"area_code": "C", "value": None, "rank": None}])
