"""What the indicators service tells the others: events written to its outbox (the only caller of `outbox.add`)."""

from __future__ import annotations

from minilok_shared.events.outbox import Outbox
from sqlalchemy.orm import Session

from minilok_indicators import models
from minilok_indicators.domain.hierarchy import path_codes
from minilok_indicators.domain.periods import Period
from minilok_indicators.models import Area, Indicator

outbox = Outbox(models.outbox, source="/indicators")


def _target_event_data(indicator: Indicator, area: Area, period: Period, figures: dict) -> dict:
    return {
        "indicator": {"code": indicator.code, "name": indicator.name, "name_en": indicator.name_en,
                      "unit": indicator.unit, "direction": indicator.direction, "period_type": indicator.period_type},
        "area": {"code": area.code, "name": area.name, "level": area.level, "parent_code": area.parent_code,
                 "ancestor_codes": path_codes(area.path)[:-1]},
        "period": str(period),
        "value": figures["value"],
        "numerator": figures["numerator"],
        "denominator": figures["denominator"],
        "target": figures["target"],
        "target_for_period": figures.get("target_for_period", figures["target"]),
        "target_basis": getattr(indicator, "target_basis", None) or "period",
        "period_value": figures.get("period_value", figures["value"]),
        "pws_status": figures.get("pws_status"),
        "meets_target": figures["meets_target"],
    }


def emit_below_target(session: Session, indicator: Indicator, area: Area, period: Period, figures: dict) -> dict:
    """`indicator.below_target`: the area's rollup for the period fell short of its target."""
    return outbox.add(session, "indicator.below_target", area.code,
                      _target_event_data(indicator, area, period, figures))


def emit_recovered(session: Session, indicator: Indicator, area: Area, period: Period, figures: dict) -> dict:
    """`indicator.recovered`: the area's rollup for the period meets its target again."""
    return outbox.add(session, "indicator.recovered", area.code, _target_event_data(indicator, area, period, figures))
