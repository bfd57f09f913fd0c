"""Shared input checks: cursor shapes, JSON that is not JSON, single-line text, date ranges."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest
from fastapi import HTTPException
from minilok_shared.pagination import decode_cursor, encode_cursor
from minilok_shared.validation import Day, Instant, MultiLine, SingleLine, json_problem
from pydantic import BaseModel, ValidationError


def raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("text, kinds", [
    ('["x"]', (int,)), ("[1, 2]", (int,)), ("[]", (int,)), ("[true]", (int,)), ("[1.5]", (int,)),
    (f"[{2**63}]", (int,)), ("[" + "9" * 5000 + "]", (int,)), ("[[1]]", (int,)), ("[NaN]", (int,)),
    ("[Infinity]", (str,)), ('{"a": 1}', (int,)), ("[1]", (str,)), ('["a\\u0000"]', (str,)),
    ('["\\ud800"]', (str,)), ('["x", 1]', (datetime, int)), ('["2026-01-01T00:00:00", 1]', (datetime, int)),
    ('["9999-12-31T23:59:59-14:00", 1]', (datetime, int)), ("[" * 5000, (int,)),
])
def test_a_forged_cursor_is_a_422_naming_cursor(text, kinds):
    with pytest.raises(HTTPException) as caught:
        decode_cursor(raw_cursor(text), kinds)
    assert caught.value.status_code == 422
    assert caught.value.detail[0]["loc"] == ["query", "cursor"]


def test_a_cursor_the_service_wrote_reads_back():
    at = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor([at.isoformat(), 7]), (datetime, int)) == [at, 7]
    assert decode_cursor(encode_cursor(["3171"]), (str,)) == ["3171"]
    assert decode_cursor(encode_cursor([2**63 - 1])) == [2**63 - 1]


@pytest.mark.parametrize("body, loc", [
    (b'{"items": [{"title": NaN}]}', ["body", "items", 0, "title"]),
    (b'{"a": 1, "b": [1, Infinity]}', ["body", "b", 1]),
    (b'[-Infinity]', ["body", 0]),
    (b'{"title": "x\\ud800"}', ["body", "title"]),
    (b'{"x\\udfff": 1}', ["body", "x\\udfff"]),
])
def test_nan_and_lone_surrogates_are_named_by_their_path(body, loc):
    problem = json_problem(body)
    assert problem is not None and problem["loc"] == loc
    json.dumps(problem).encode()  # the answer itself can be sent


@pytest.mark.parametrize("body", [b'{"title": "NaN and Infinity are words"}', b'{"emoji": "\\ud83d\\ude00"}',
                                  b"not json NaN", b'{"n": 1.5}'])
def test_ordinary_bodies_pass(body):
    assert json_problem(body) is None


class Form(BaseModel):
    title: SingleLine | None = None
    notes: MultiLine | None = None
    at: Instant | None = None
    day: Day | None = None


@pytest.mark.parametrize("text", ["a\nb", "a\rb", "a\tb", "a\x00b", "a\x1fb", "a\x7fb", "a\u2028b", "a\u2029b"])
def test_single_line_text_refuses_control_characters(text):
    with pytest.raises(ValidationError) as caught:
        Form(title=text)
    assert caught.value.errors()[0]["loc"] == ("title",)


def test_multi_line_text_keeps_line_breaks_but_refuses_nul():
    assert Form(notes="satu\ndua\r\n\ttiga").notes == "satu\ndua\r\n\ttiga"
    with pytest.raises(ValidationError):
        Form(notes="a\x00b")


@pytest.mark.parametrize("field, value", [
    ("at", "9999-12-31T23:59:59-14:00"), ("at", "0001-01-01T00:00:00+14:00"), ("at", "10000-01-01T00:00:00Z"),
    ("at", "1899-12-31T23:00:00Z"), ("day", "9999-12-31"), ("day", "0001-01-01"), ("day", "10000-01-01"),
])
def test_out_of_range_dates_are_refused(field, value):
    with pytest.raises(ValidationError) as caught:
        Form(**{field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_dates_within_range_pass():
    form = Form(at="2026-05-20T09:00:00+07:00", day="2026-05-20")
    assert form.day == date(2026, 5, 20) and form.at.utcoffset().total_seconds() == 7 * 3600
