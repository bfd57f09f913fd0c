"""A rollup as a FHIR R4 MeasureReport (type summary), children as one stratifier."""

from __future__ import annotations

import calendar
from datetime import date

from minilok_shared.db import utcnow

from minilok_indicators.domain.periods import Period
from minilok_indicators.models import Area, Indicator

MEASURE_BASE = "urn:minilok:indicator:"
AREA_SYSTEM = "urn:minilok:area"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
IMPROVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
UNITS = {"percent": "%", "per_100k": "/100000", "per_1000": "/1000", "count": "1", "ratio": "1"}


def period_bounds(period: Period) -> tuple[date, date]:
    months = period.months()
    last = months[-1]
    return date(period.year, months[0], 1), date(period.year, last, calendar.monthrange(period.year, last)[1])


def _population(code: str, count: float | None) -> dict:
    population = {"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}}
    if count is not None:
        # FHIR counts are integers; a denominator averaged over months is rounded.
        population["count"] = round(count)
    return population


def _score(value: float | None, unit: str) -> dict | None:
    if value is None:
        return None
    return {"value": round(value, 6), "unit": UNITS[unit], "system": "http://unitsofmeasure.org", "code": UNITS[unit]}


def measure_report(indicator: Indicator, area: Area, period: Period, result: dict) -> dict:
    start, end = period_bounds(period)
    group: dict = {
        "code": {"coding": [{"system": MEASURE_BASE.rstrip(":"), "code": indicator.code}], "text": indicator.name},
        "population": [_population("numerator", result["numerator"]),
                       _population("denominator", result["denominator"])],
    }
    score = _score(result["value"], indicator.unit)
    if score:
        group["measureScore"] = score
    strata = []
    for child in result["children"]:
        stratum = {"value": {"coding": [{"system": AREA_SYSTEM, "code": child["area_code"]}], "text": child["name"]},
                   "population": [_population("numerator", child["numerator"]),
                                  _population("denominator", child["denominator"])]}
        child_score = _score(child["value"], indicator.unit)
        if child_score:
            stratum["measureScore"] = child_score
        strata.append(stratum)
    if strata:
        group["stratifier"] = [{"code": [{"text": "child area / wilayah bawahan"}], "stratum": strata}]
    return {
        "resourceType": "MeasureReport",
        "id": f"{indicator.code}-{area.code}-{period}".replace("_", "-").replace(" ", "-")[:64],
        "status": "complete",
        "type": "summary",
        "measure": f"{MEASURE_BASE}{indicator.code}",
        "subject": {"identifier": {"system": AREA_SYSTEM, "value": area.code}, "display": area.name},
        "date": utcnow().isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "improvementNotation": {"coding": [{"system": IMPROVEMENT_SYSTEM,
                                            "code": "increase" if indicator.direction == "higher_is_better"
                                            else "decrease"}]},
        "group": [group],
    }
