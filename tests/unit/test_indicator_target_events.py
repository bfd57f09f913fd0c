"""The bulk writer of below-target events puts the same bytes in the outbox as `outbox.add`."""

import json
from datetime import UTC, datetime

import pytest
from minilok_indicators.domain.periods import parse_period
from minilok_indicators.events import TargetEvents, _target_event_data
from minilok_indicators.models import Area, Indicator
from minilok_shared.events.envelope import dumps, new_event, parse_event

MOMENT = datetime(2026, 12, 2, 17, 45, 1, 123456, tzinfo=UTC)


def indicator(**extra) -> Indicator:
    return Indicator(code="POSYANDU_DS", name="Partisipasi \u201cD/S\u201d Pänas", name_en="D/S participation",
                     unit="percent", direction="higher_is_better", period_type="monthly", **extra)


AREA = Area(code="21.71.06.1001", name="Kelurahan Sungai Pänas", level="kelurahan", parent_code="21.71.06",
            path="/21/21.71/21.71.06/21.71.06.1001/")

FIGURES = [
    {"value": 61.53846153846154, "numerator": 40.0, "denominator": 65.0, "target": 80.0, "target_for_period": 80.0,
     "period_value": 61.53846153846154, "pws_status": "jelek", "meets_target": False},
    {"value": 1e-05, "numerator": 1e-07, "denominator": 0.01, "target": 1e16, "target_for_period": 6.666666666666667,
     "period_value": None, "pws_status": None, "meets_target": True},
    {"value": 85.0, "numerator": 17.0, "denominator": 20.0, "target": 80.0, "meets_target": True},
    {"value": 3, "numerator": 3, "denominator": None, "target": None, "target_for_period": None,
     "period_value": float("nan"), "pws_status": "baik", "meets_target": None},
    {"value": float("inf"), "numerator": -0.0, "denominator": 1e300, "target": -float("inf"), "meets_target": False},
]


@pytest.mark.parametrize("basis", [None, "period", "cumulative"])
@pytest.mark.parametrize("figures", FIGURES)
@pytest.mark.parametrize("below", [True, False])
def test_bodies_are_those_of_outbox_add(basis, figures, below):
    ind = indicator(target_basis=basis)
    batch = TargetEvents(ind, MOMENT)
    sent = batch.add(below, AREA, "2026-03", figures)
    event_id, kind, subject, body = batch.rows[0]
    assert sent == {"id": event_id, "type": kind, "subject": subject}
    assert kind == ("indicator.below_target" if below else "indicator.recovered") and subject == AREA.code
    expected = new_event(kind, "/indicators", AREA.code,
                         _target_event_data(ind, AREA, parse_period("2026-03"), figures), id=event_id, time=MOMENT)
    assert body == dumps(expected).decode()
    assert parse_event(body)["data"]["area"]["ancestor_codes"] == ["21", "21.71", "21.71.06"]


def test_each_event_has_its_own_id_and_an_area_is_encoded_once():
    batch = TargetEvents(indicator(), MOMENT)
    for period in ("2026-01", "2026-02"):
        batch.add(True, AREA, period, FIGURES[0])
    assert len({row[0] for row in batch.rows}) == 2
    assert [json.loads(row[3])["data"]["period"] for row in batch.rows] == ["2026-01", "2026-02"]
    assert len(batch._areas) == 1


def test_event_ids_are_distinct_uuids_of_version_7_in_the_order_they_were_made():
    import time
    import uuid

    batch = TargetEvents(indicator(), MOMENT)
    ids = [batch.add(True, AREA, "2026-03", FIGURES[0])["id"] for _ in range(2500)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    # Later ids sort later (the outbox's unique index grows at its end), led by the Unix time in ms.
    assert ids == sorted(ids)
    millis = int(ids[-1].replace("-", "")[:12], 16)
    assert abs(millis - time.time() * 1000) < 60_000
    # The random part varies (here in its last eight hex digits).
    assert len({text[-8:] for text in ids}) == len(ids)
