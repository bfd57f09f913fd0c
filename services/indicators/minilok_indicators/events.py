"""What the indicators service tells the others: `indicator.below_target` and `indicator.recovered`,
written to its outbox by `TargetEvents` (the only writer of its outbox).

The below-target check of a bulk import can emit tens of thousands of events per chunk, so each
body is encoded in one call, with the parts that repeat spliced in as they were encoded once (the
indicator's once per indicator, an area's once per area), and the rows are written in one
statement (PostgreSQL: `COPY` into the outbox, in the caller's transaction). The bodies are byte
for byte what the shared `Outbox.add` would write: the same CloudEvent, the same keys in the same
order, encoded by the same `dumps` (a unit test compares them)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from minilok_shared.events import outbox as shared_outbox
from minilok_shared.events.envelope import dumps, new_event_id
from sqlalchemy import insert
from sqlalchemy.orm import Session

from minilok_indicators import models
from minilok_indicators.dialect import copy_timestamp
from minilok_indicators.domain.hierarchy import path_codes
from minilok_indicators.domain.periods import Period
from minilok_indicators.models import Area, Indicator

SOURCE = "/indicators"
BELOW_TARGET, RECOVERED = "indicator.below_target", "indicator.recovered"


def _indicator_part(indicator: Indicator) -> dict:
    return {"code": indicator.code, "name": indicator.name, "name_en": indicator.name_en,
            "unit": indicator.unit, "direction": indicator.direction, "period_type": indicator.period_type}


def _area_part(area: Area) -> dict:
    return {"code": area.code, "name": area.name, "level": area.level, "parent_code": area.parent_code,
            "ancestor_codes": path_codes(area.path)[:-1]}


def _target_event_data(indicator: Indicator, area: Area, period: Period, figures: dict) -> dict:
    return {
        "indicator": _indicator_part(indicator),
        "area": _area_part(area),
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


class TargetEvents:
    """`indicator.below_target` / `indicator.recovered` of one indicator, many areas and periods,
    written to the outbox together by `write` (in the caller's transaction). `add` returns
    {"id", "type", "subject"} of the event."""

    def __init__(self, indicator: Indicator, moment: datetime | None = None):
        self.moment = (moment or datetime.now(UTC)).astimezone(UTC)
        self._time = self.moment.isoformat().replace("+00:00", "Z")
        self._indicator = orjson.Fragment(dumps(_indicator_part(indicator)))
        self._basis = getattr(indicator, "target_basis", None) or "period"
        self._areas: dict[str, orjson.Fragment] = {}
        self.rows: list[tuple] = []

    def add(self, below: bool, area: Area, period_text: str, figures: dict) -> dict:
        kind = BELOW_TARGET if below else RECOVERED
        area_json = self._areas.get(area.code)
        if area_json is None:
            area_json = self._areas[area.code] = orjson.Fragment(dumps(_area_part(area)))
        event_id = new_event_id()
        subject = str(area.code)
        value = figures["value"]
        target = figures["target"]
        # One encoding per event, the indicator's and the area's parts spliced in as they were
        # encoded once (orjson.Fragment); the keys in `_target_event_data`'s order.
        body = dumps({
            "specversion": "1.0", "id": event_id, "source": SOURCE, "type": kind, "subject": subject,
            "time": self._time, "datacontenttype": "application/json",
            "data": {
                "indicator": self._indicator, "area": area_json, "period": period_text, "value": value,
                "numerator": figures["numerator"], "denominator": figures["denominator"], "target": target,
                "target_for_period": figures.get("target_for_period", target), "target_basis": self._basis,
                "period_value": figures.get("period_value", value), "pws_status": figures.get("pws_status"),
                "meets_target": figures["meets_target"],
            },
        }).decode()
        self.rows.append((event_id, kind, subject, body))
        return {"id": event_id, "type": kind, "subject": subject}

    def write(self, session: Session) -> None:
        if not self.rows:
            return
        table = models.outbox
        if session.get_bind().dialect.name == "postgresql":
            raw = session.connection().connection.driver_connection
            created_at = copy_timestamp(self.moment)
            with raw.cursor() as cursor, cursor.copy(
                    f"COPY {table.name} (event_id, type, subject, body, created_at) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row((*row, created_at))
            shared_outbox.wake_relay(session.connection(), table)
        else:
            session.execute(insert(table), [
                {"event_id": event_id, "type": kind, "subject": subject, "body": body, "created_at": self.moment}
                for event_id, kind, subject, body in self.rows])
        self.rows = []
