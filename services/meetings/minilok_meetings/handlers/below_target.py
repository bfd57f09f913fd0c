"""Reading an `indicator.below_target` event's data into the fields a proposal needs.

The `data` accepted, nested (as the indicators service sends it) or flat:

    {"indicator": {"code", "name"?, "direction"?} | "indicator_code", "indicator_name"?,
     "area": {"code", "name"?, "ancestor_codes"?} | "area_code", "area_name"?,
     "period", "value"?, "target"?, "target_for_period"?, "pws_status"?}

`target` of the proposal is the one the value was measured against: `target_for_period` when the
event carries it (a cumulative indicator's yearly target pro-rated to the month), else `target`.
"""

from __future__ import annotations

from typing import Any

from minilok_shared.events.envelope import InvalidEvent

PWS_STATUSES = ("baik", "kurang", "cukup", "jelek")


def _nested(data: dict[str, Any], key: str, field: str) -> Any:
    """`data[key][field]` when `data[key]` is an object, else the flat `data[key_field]`."""
    inner = data.get(key)
    if isinstance(inner, dict):
        return inner.get(field)
    return data.get(f"{key}_{field}")


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def read_below_target(data: dict[str, Any]) -> dict[str, Any]:
    """The fields a proposal needs; InvalidEvent (dead letter) when the event cannot make one."""
    indicator_code = _nested(data, "indicator", "code")
    area_code = _nested(data, "area", "code")
    period = data.get("period")
    missing = [name for name, value in (("indicator code", indicator_code), ("area code", area_code),
                                        ("period", period)) if not value]
    if missing:
        raise InvalidEvent(f"indicator.below_target without {', '.join(missing)}")
    ancestors = _nested(data, "area", "ancestor_codes") or []
    return {
        "indicator_code": str(indicator_code),
        "indicator_name": _nested(data, "indicator", "name") or data.get("name"),
        "direction": _nested(data, "indicator", "direction"),
        "area_code": str(area_code),
        "area_name": _nested(data, "area", "name"),
        "ancestor_codes": [str(code) for code in ancestors if code] if isinstance(ancestors, list) else [],
        "period": str(period),
        "value": _number(data.get("value")),
        "target": _number(data.get("target_for_period", data.get("target"))),
        "yearly_target": _number(data.get("target")),
        "pws_status": data.get("pws_status") if data.get("pws_status") in PWS_STATUSES else None,
    }
