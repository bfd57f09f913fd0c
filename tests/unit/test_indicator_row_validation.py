"""The import's quick row check gives what ValueIn gives, and leaves every doubtful row to ValueIn."""

import math

import pytest
from minilok_indicators.schemas import ValueIn
from minilok_indicators.service_layer.ingest import _plain_row, validate_row
from pydantic import ValidationError

BASE = {"indicator_code": "POSYANDU_DS", "area_code": "21.71.06.1001", "period": "2026-03", "numerator": "40",
        "denominator": "65", "value": None}

SAME = [
    {}, {"value": "61.5"}, {"denominator": None}, {"numerator": 12, "denominator": 30.5}, {"numerator": "-3"},
    {"numerator": "0.000001"}, {"numerator": "1000000000000"}, {"numerator": "-1000000000000"},
    {"period": "2026Q1"}, {"period": "2026"},
]
DOUBTFUL = [
    {"numerator": " 40"}, {"numerator": "4e1"}, {"numerator": "1_000"}, {"numerator": "inf"}, {"numerator": "nan"},
    {"numerator": "1000000000001"}, {"numerator": 10**400}, {"numerator": math.inf}, {"numerator": math.nan},
    {"numerator": True}, {"numerator": None}, {"numerator": ""}, {"area_code": "21 71"}, {"area_code": "x" * 65},
    {"area_code": "21.71\n"}, {"indicator_code": ""}, {"period": "2026-03-01"}, {"period": " 2026-03"},
    {"period": "20"}, {"extra": 1}, {"numerator": "12."}, {"numerator": ".5"}, {"numerator": [1]},
]


@pytest.mark.parametrize("change", SAME)
def test_plain_rows_as_valuein_reads_them(change):
    raw = {**BASE, **change}
    quick = _plain_row(raw)
    assert quick is not None
    model = ValueIn.model_validate(raw)
    assert quick == (model.indicator_code, model.area_code, model.period, model.numerator, model.denominator,
                     model.value)
    assert all(type(number) is float for number in quick[3:] if number is not None)


@pytest.mark.parametrize("change", DOUBTFUL)
def test_doubtful_rows_go_to_valuein(change):
    raw = {**BASE, **change}
    assert _plain_row(raw) is None
    try:
        model = ValueIn.model_validate(raw)
    except ValidationError as exc:
        with pytest.raises(ValidationError) as caught:
            validate_row(raw)
        assert caught.value.errors(include_url=False) == exc.errors(include_url=False)
    else:
        assert validate_row(raw) == (model.indicator_code, model.area_code, model.period, model.numerator,
                                     model.denominator, model.value)


def test_not_a_dict_is_left_to_valuein():
    with pytest.raises(ValidationError):
        validate_row(["POSYANDU_DS", "21", "2026-03", 1])
