from fastapi import APIRouter, Query
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import not_found
from minilok_shared.pagination import LimitQuery, decode_cursor, encode_cursor

from minilok_indicators.effectiveness import completions_under, effect
from minilok_indicators.models import Area, Indicator

router = APIRouter(tags=["effectiveness"])


@router.get("/effectiveness")
def get_effectiveness(session: SessionDep, principal: CurrentPrincipal, indicator: str = Query(...),
                      area: str = Query(...), limit: int = LimitQuery, cursor: str | None = None):
    """Completed follow-ups on this indicator in this area (or beneath it), newest first, with the
    area's value in the period before and the period after completion."""
    found = session.get(Indicator, indicator)
    if found is None:
        raise not_found("Indikator / indicator", indicator)
    place = session.get(Area, area)
    if place is None:
        raise not_found("Wilayah / area", area)
    before_id = decode_cursor(cursor)[0] if cursor else None
    rows = completions_under(session, found, place, limit + 1, before_id)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [effect(session, found, completion, where) for completion, where in rows],
            "next_cursor": encode_cursor([rows[-1][0].id]) if more else None}
