from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import not_found, unprocessable

from minilok_indicators.aggregates import NATIONAL
from minilok_indicators.domain.periods import InvalidPeriod, Period, parse_period
from minilok_indicators.fhir import measure_report
from minilok_indicators.models import Area, Indicator
from minilok_indicators.rollups import national_area, ranking, rollup

router = APIRouter(tags=["rollups"])


def _resolve(session, indicator_code: str, area_code: str, period_text: str) -> tuple[Indicator, Area, Period]:
    indicator = session.get(Indicator, indicator_code)
    if indicator is None:
        raise not_found("Indikator / indicator", indicator_code)
    area = national_area() if area_code == NATIONAL else session.get(Area, area_code)
    if area is None:
        raise not_found("Wilayah / area", area_code)
    try:
        period = parse_period(period_text)
        period.parts(indicator.period_type)
    except InvalidPeriod as exc:
        raise unprocessable("period", str(exc), where="query") from exc
    return indicator, area, period


@router.get("/rollup")
def get_rollup(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
               area: str = Query(...), period: str = Query(...)):
    """value = sum(numerator) / sum(denominator) × factor over every value in the area's subtree;
    a quarter or a year adds up its months. `area=ID` is the whole country (every root area)."""
    return rollup(session, *_resolve(session, indicator, area, period))


@router.get("/ranking")
def get_ranking(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                area: str = Query(...), period: str = Query(...)):
    """PWS: the child areas, worst first, with the change since the previous period
    (`area=ID`: the root areas, e.g. the provinces)."""
    return ranking(session, *_resolve(session, indicator, area, period))


@router.get("/fhir/MeasureReport", tags=["fhir"])
def get_measure_report(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                       area: str = Query(...), period: str = Query(...)):
    """The rollup as a FHIR R4 MeasureReport (summary; child areas as a stratifier)."""
    found, place, when = _resolve(session, indicator, area, period)
    report = measure_report(found, place, when, rollup(session, found, place, when))
    return JSONResponse(report, media_type="application/fhir+json")
