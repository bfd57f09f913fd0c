"""Routes for data quality: completeness of reporting and the values flagged as outliers."""

from fastapi import APIRouter, Query
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery

from minilok_indicators.schemas_quality import CompletenessOut, OutlierPage
from minilok_indicators.service_layer.quality import MISSING_LIMIT, completeness, list_outliers
from minilok_indicators.service_layer.rollups import resolve

router = APIRouter(tags=["quality"])


@router.get("/completeness", response_model=CompletenessOut)
def get_completeness(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                     area: str = Query(...), period: str = Query(...),
                     missing_limit: int = Query(MISSING_LIMIT, ge=0, le=1000)):
    """Reporting areas (the leaves of the hierarchy beneath `area`) expected and reported for the
    period; `missing` lists the first `missing_limit` codes, `missing_count` all of them."""
    found, place, when = resolve(session, indicator, area, period)
    result = completeness(session, found, place, when, missing_limit)
    return CompletenessOut(indicator_code=found.code, area_code=place.code, period=str(when),
                           level=result.level, expected=result.expected, reported=result.reported,
                           percent=result.percent, missing=[m["code"] for m in result.missing],
                           missing_areas=result.missing, missing_count=result.missing_count)


@router.get("/outliers", response_model=OutlierPage)
def get_outliers(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                 area: str = Query(...), period: str | None = Query(None), limit: int = LimitQuery,
                 cursor: str | None = Query(None)):
    """Values flagged on import beneath `area` (modified z-score over the area's last 12 periods
    above 3.5), newest period first."""
    found, place, when = resolve(session, indicator, area, period or "2000")
    return list_outliers(session, found, place, when if period else None, limit, cursor)
