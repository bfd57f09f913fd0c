"""Reading `indicator.below_target` into a proposal: nested and flat data, the Indonesian title."""

from __future__ import annotations

import pytest
from minilok_meetings.domain.area_codes import dotted_prefixes
from minilok_meetings.domain.proposal import format_angka, proposal_title
from minilok_meetings.handlers.below_target import read_below_target
from minilok_shared.events.envelope import InvalidEvent

NESTED = {
    "indicator": {"code": "DS_POSYANDU", "name": "D/S Posyandu", "direction": "higher_is_better"},
    "area": {"code": "PY-MAWAR-X", "name": "Posyandu Mawar X", "level": "posyandu",
             "ancestor_codes": ["21", "21.71", "21.71.06", "21.71.06.1004"]},
    "period": "2026-01", "value": 61.25, "target": 80, "meets_target": False,
}


def test_nested_data_as_the_indicators_service_sends_it():
    fields = read_below_target(NESTED)
    assert fields["indicator_code"] == "DS_POSYANDU"
    assert fields["area_code"] == "PY-MAWAR-X"
    assert fields["ancestor_codes"] == ["21", "21.71", "21.71.06", "21.71.06.1004"]
    assert (fields["value"], fields["target"]) == (61.25, 80.0)
    assert proposal_title(fields) == ("Capaian D/S Posyandu di Posyandu Mawar X Januari 2026 di bawah target "
                                      "(61,25 < 80)")


def test_flat_data_and_names_fall_back_to_codes():
    fields = read_below_target({"indicator_code": "DBD_IR", "area_code": "21.71.06.1004", "period": "2026Q1",
                                "value": "55.5", "target": 49, "direction": "ignored"})
    assert fields["ancestor_codes"] == []
    assert proposal_title(fields) == "Capaian DBD_IR di 21.71.06.1004 Triwulan I 2026 di bawah target (55,5 < 49)"


def test_lower_is_better_reads_the_other_way_and_missing_figures_are_left_out():
    fields = read_below_target({**NESTED, "indicator": {**NESTED["indicator"], "direction": "lower_is_better"}})
    assert proposal_title(fields).endswith("Januari 2026 di atas batas (61,25 > 80)")
    fields = read_below_target({**NESTED, "value": None})
    assert proposal_title(fields).endswith("di bawah target")


@pytest.mark.parametrize("data", [
    {"area": {"code": "21.71"}, "period": "2026-01"},
    {"indicator": {"code": "X"}, "period": "2026-01"},
    {"indicator_code": "X", "area_code": "21.71"},
])
def test_an_event_that_cannot_make_a_proposal_is_invalid(data):
    with pytest.raises(InvalidEvent):
        read_below_target(data)


def test_dotted_prefixes_and_indonesian_numbers():
    assert dotted_prefixes("21.71.06.1004") == ["21", "21.71", "21.71.06", "21.71.06.1004"]
    assert dotted_prefixes("PY-MAWAR-X") == ["PY-MAWAR-X"]
    assert [format_angka(v) for v in (80.0, 72.5, 0.333333, 1234567.0)] == ["80", "72,5", "0,33", "1234567"]
