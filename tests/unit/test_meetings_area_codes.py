"""Kemendagri dotted area codes: an area lies within another segment by segment, not by string prefix."""

from __future__ import annotations

import pytest
from minilok_meetings.domain.area_codes import dotted_prefixes, within


@pytest.mark.parametrize(("code", "area"), [
    ("21.71.06.1004", "21.71.06"),
    ("21.71.06.1004", "21.71.06.1004"),
    ("21.71.06.1004.RW03", "21"),
    ("BT01-WILAYAH", "BT01-WILAYAH"),
])
def test_an_area_lies_within_itself_and_its_ancestors(code, area):
    assert within(code, area)


@pytest.mark.parametrize(("code", "area"), [
    ("21.71.061", "21.71.06"),  # a string prefix, another kecamatan
    ("21.71.07.1004", "21.71.06"),
    ("21.71", "21.71.06"),  # wider than the area
    ("64.71.05.1002", "BT01-WILAYAH"),
    ("21.71.06", "21.71.06.1004"),
])
def test_another_or_a_wider_area_does_not(code, area):
    assert not within(code, area)


def test_dotted_prefixes():
    assert dotted_prefixes("21.71.06.1004") == ["21", "21.71", "21.71.06", "21.71.06.1004"]
    assert dotted_prefixes("PY-MAWAR-X") == ["PY-MAWAR-X"]
