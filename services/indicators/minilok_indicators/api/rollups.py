"""Routes for reading rollups: one area with its children, the PWS ranking, the FHIR MeasureReport."""

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from minilok_shared.deps import CurrentPrincipal, SessionDep

from minilok_indicators.formats.fhir import measure_report
from minilok_indicators.service_layer.rollups import ranking, resolve, rollup

router = APIRouter(tags=["rollups"])


@router.get("/rollup")
def get_rollup(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
               area: str = Query(...), period: str = Query(...)):
    """value = sum(numerator) / sum(denominator) × factor over every value in the area's subtree;
    a quarter or a year adds up its months. `area=ID` is the whole country (every root area)."""
    return rollup(session, *resolve(session, indicator, area, period))


@router.get("/ranking")
def get_ranking(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                area: str = Query(...), period: str = Query(...)):
    """PWS: the child areas, worst first, with the change since the previous period
    (`area=ID`: the root areas, e.g. the provinces)."""
    return ranking(session, *resolve(session, indicator, area, period))


@router.get("/fhir/MeasureReport", tags=["fhir"])
def get_measure_report(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                       area: str = Query(...), period: str = Query(...)):
    """The rollup as a FHIR R4 MeasureReport (summary; child areas as a stratifier)."""
    found, place, when = resolve(session, indicator, area, period)
    report = measure_report(found, place, when, rollup(session, found, place, when))
    return JSONResponse(report, media_type="application/fhir+json")
