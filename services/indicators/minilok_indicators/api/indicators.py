"""Routes for the indicator catalogue: add an indicator, read one, list them."""

from fastapi import APIRouter, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page

from minilok_indicators.access import require_admin
from minilok_indicators.schemas import IndicatorCreate, IndicatorOut
from minilok_indicators.service_layer import catalogue

router = APIRouter(prefix="/indicators", tags=["indicators"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IndicatorOut)
def create_indicator(body: IndicatorCreate, session: SessionDep, principal: CurrentPrincipal):
    require_admin(principal, "menambah indikator")
    indicator = catalogue.create_indicator(session, body)
    session.commit()
    return indicator


@router.get("", response_model=Page[IndicatorOut])
def list_indicators(session: SessionDep, principal: CurrentPrincipal, limit: int = LimitQuery,
                    cursor: str | None = None):
    return catalogue.list_indicators(session, limit, cursor)


@router.get("/{code}", response_model=IndicatorOut)
def get_indicator(code: str, session: SessionDep, principal: CurrentPrincipal):
    return catalogue.indicator_or_404(session, code)
