"""DHIS2 `dataValueSets` JSON in: data elements (optionally with a category option combo) map to an
indicator's numerator or denominator, org units to area codes; the pairs become rows of POST /values.

    {"dataValues": [{"dataElement": "d7Xa1", "period": "202601", "orgUnit": "ou1", "value": "18"}, ...],
     "mapping": {"dataElements": {"d7Xa1": {"indicator_code": "POSYANDU_DS", "part": "numerator"},
                                  "k2Lq9.coc1": {"indicator_code": "POSYANDU_DS", "part": "denominator"}},
                 "orgUnits": {"ou1": "21.71.06.1004"}}}

An org unit without a mapping is taken as an area code itself.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from minilok_shared.validation import SingleLine
from pydantic import BaseModel, ConfigDict, Field

_MONTHLY = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")


class ElementMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator_code: SingleLine = Field(min_length=1, max_length=64)
    part: Literal["numerator", "denominator"]


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataElements: dict[SingleLine, ElementMapping] = Field(default_factory=dict)  # noqa: N815 (DHIS2's names)
    orgUnits: dict[SingleLine, SingleLine] = Field(default_factory=dict)  # noqa: N815


def dhis2_period(period: str) -> str:
    """DHIS2 "202601" is our "2026-01"; "2026Q1" and "2026" are the same in both."""
    match = _MONTHLY.match(period)
    return f"{match.group(1)}-{match.group(2)}" if match else period


def parse_mapping(raw: Any) -> Mapping:
    return Mapping.model_validate(raw or {})


def to_rows(data_values: list, mapping: Mapping) -> tuple[list[dict], list[list[int]], list[dict]]:
    """Rows for ingest, the dataValues indexes behind each row, and the dataValues rejected here."""
    rejected: list[dict] = []
    grouped: dict[tuple[str, str, str], dict] = {}
    sources: dict[tuple[str, str, str], list[int]] = {}
    for i, item in enumerate(data_values):
        if not isinstance(item, dict):
            rejected.append({"index": i, "field": None, "detail": "dataValue harus objek / must be an object"})
            continue
        element, combo = item.get("dataElement"), item.get("categoryOptionCombo")
        target = mapping.dataElements.get(f"{element}.{combo}") or mapping.dataElements.get(str(element))
        if target is None:
            rejected.append({"index": i, "field": "dataElement",
                             "detail": f"dataElement {element} tidak dipetakan / has no mapping"})
            continue
        if not item.get("orgUnit") or not item.get("period"):
            field = "orgUnit" if not item.get("orgUnit") else "period"
            rejected.append({"index": i, "field": field, "detail": f"{field} wajib / is required"})
            continue
        area = mapping.orgUnits.get(str(item["orgUnit"]), str(item["orgUnit"]))
        key = (target.indicator_code, area, dhis2_period(str(item["period"])))
        row = grouped.setdefault(key, {"indicator_code": key[0], "area_code": key[1], "period": key[2]})
        row[target.part] = item.get("value")
        sources.setdefault(key, []).append(i)
    return list(grouped.values()), [sources[key] for key in grouped], rejected

