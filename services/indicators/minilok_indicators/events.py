"""What the indicators service tells the others: `indicator.below_target` and `indicator.recovered`,
written to its outbox by `TargetEvents` (the only writer of its outbox).

The below-target check of a bulk import can emit tens of thousands of events per chunk, so each
body is put together from JSON pieces encoded once (the indicator's part once per indicator, an
area's part once per area) and the rows are written in one statement (PostgreSQL: `COPY` into the
outbox, in the caller's transaction). The bodies are byte for byte what the shared `Outbox.add`
would write: the same CloudEvent, the same keys in the same order, encoded by the same `dumps` (a
unit test compares them)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from minilok_shared.events import outbox as shared_outbox
from minilok_shared.events.envelope import dumps
from sqlalchemy import insert
from sqlalchemy.orm import Session

from minilok_indicators import models
from minilok_indicators.domain.hierarchy import path_codes
from minilok_indicators.domain.periods import Period
from minilok_indicators.models import Area, Indicator

SOURCE = "/indicators"
_IDS_PER_DRAW = 1024
# A random (version 4, RFC 4122 variant) UUID as an integer: these bits cleared, then set.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)
BELOW_TARGET, RECOVERED = "indicator.below_target", "indicator.recovered"


def _encode(value) -> str:
    """A piece of a body, encoded by the outbox's own `dumps` (JSON encodes piece by piece: an
    object's text is its members' texts joined, so the pieces make the same bytes as the whole)."""
    return dumps(value).decode()


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
        time_text = self.moment.isoformat().replace("+00:00", "Z")
        self._head = f',"source":{_encode(SOURCE)},"type":'
        self._middle = f',"time":{_encode(time_text)},"datacontenttype":"application/json","data":{{"indicator":'
        self._indicator = _encode(_indicator_part(indicator))
        self._basis = _encode(getattr(indicator, "target_basis", None) or "period")
        self._areas: dict[str, str] = {}
        self._ids: list[str] = []
        self.rows: list[tuple] = []

    def _event_id(self) -> str:
        """A random UUID as `uuid.uuid4()` gives it, 1,024 drawn per `os.urandom` call (a bulk
        import asks for hundreds of thousands; one system call each took a tenth of its check)."""
        if not self._ids:
            raw = os.urandom(16 * _IDS_PER_DRAW)
            for start in range(0, len(raw), 16):
                text = f"{int.from_bytes(raw[start:start + 16], 'big') & _UUID4_CLEAR | _UUID4_SET:032x}"
                self._ids.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
        return self._ids.pop()

    def add(self, below: bool, area: Area, period_text: str, figures: dict) -> dict:
        kind = BELOW_TARGET if below else RECOVERED
        area_json = self._areas.get(area.code)
        if area_json is None:
            area_json = self._areas[area.code] = _encode(_area_part(area))
        event_id = self._event_id()
        subject = str(area.code)
        value = figures["value"]
        target = figures["target"]
        body = "".join((
            '{"specversion":"1.0","id":"', event_id, '"', self._head, _encode(kind), ',"subject":', _encode(subject),
            self._middle, self._indicator, ',"area":', area_json,
            ',"period":', _encode(period_text),
            ',"value":', _encode(value),
            ',"numerator":', _encode(figures["numerator"]),
            ',"denominator":', _encode(figures["denominator"]),
            ',"target":', _encode(target),
            ',"target_for_period":', _encode(figures.get("target_for_period", target)),
            ',"target_basis":', self._basis,
            ',"period_value":', _encode(figures.get("period_value", value)),
            ',"pws_status":', _encode(figures.get("pws_status")),
            ',"meets_target":', _encode(figures["meets_target"]), "}}",
        ))
        self.rows.append((event_id, kind, subject, body))
        return {"id": event_id, "type": kind, "subject": subject}

    def write(self, session: Session) -> None:
        if not self.rows:
            return
        table = models.outbox
        if session.get_bind().dialect.name == "postgresql":
            raw = session.connection().connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(
                    f"COPY {table.name} (event_id, type, subject, body, created_at) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row((*row, self.moment))
            shared_outbox.wake_relay(session.connection(), table)
        else:
            session.execute(insert(table), [
                {"event_id": event_id, "type": kind, "subject": subject, "body": body, "created_at": self.moment}
                for event_id, kind, subject, body in self.rows])
        self.rows = []
