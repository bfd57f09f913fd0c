"""Route for the effect of completed follow-ups on an indicator."""

from fastapi import APIRouter, Query
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery

from minilok_indicators.service_layer.effectiveness import effectiveness_page

router = APIRouter(tags=["effectiveness"])


@router.get("/effectiveness")
def get_effectiveness(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                      area: str = Query(...), limit: int = LimitQuery, cursor: str | None = None):
    """Completed follow-ups on this indicator in this area (or beneath it), newest first, with the
    area's value in the period before and the period after completion."""
    return effectiveness_page(session, indicator, area, limit, cursor)
