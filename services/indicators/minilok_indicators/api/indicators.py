from fastapi import APIRouter, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import conflict, not_found
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page
from sqlalchemy import select

from minilok_indicators.api.access import require_admin
from minilok_indicators.api.schemas import IndicatorCreate, IndicatorOut
from minilok_indicators.models import Indicator

router = APIRouter(prefix="/indicators", tags=["indicators"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IndicatorOut)
def create_indicator(body: IndicatorCreate, session: SessionDep, principal: CurrentPrincipal):
    require_admin(principal, "menambah indikator")
    if session.get(Indicator, body.code) is not None:
        raise conflict(f"Kode indikator {body.code} sudah ada / indicator code already exists")
    indicator = Indicator(**body.model_dump())
    session.add(indicator)
    session.commit()
    return indicator


@router.get("", response_model=Page[IndicatorOut])
def list_indicators(session: SessionDep, principal: CurrentPrincipal, limit: int = LimitQuery,
                    cursor: str | None = None):
    query = select(Indicator).order_by(Indicator.code)
    if cursor:
        (after,) = decode_cursor(cursor, (str,))
        query = query.where(Indicator.code > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit, key=lambda row: [row.code])


@router.get("/{code}", response_model=IndicatorOut)
def get_indicator(code: str, session: SessionDep, principal: CurrentPrincipal):
    indicator = session.get(Indicator, code)
    if indicator is None:
        raise not_found("Indikator / indicator", code)
    return indicator
