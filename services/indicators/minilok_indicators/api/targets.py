from fastapi import APIRouter
from minilok_shared.db import insert_on_conflict
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import not_found
from minilok_shared.pagination import Page
from pydantic import Field
from sqlalchemy import select

from minilok_indicators.api.access import require_admin
from minilok_indicators.api.schemas import Strict
from minilok_indicators.models import Area, AreaTarget, Indicator
from minilok_indicators.tasks import enqueue_recheck

router = APIRouter(prefix="/indicators/{code}/targets", tags=["indicators"])


class TargetIn(Strict):
    target: float = Field(allow_inf_nan=False)


class TargetOut(Strict):
    indicator_code: str
    area_code: str
    target: float


def _indicator(session, code: str) -> Indicator:
    indicator = session.get(Indicator, code)
    if indicator is None:
        raise not_found("Indikator / indicator", code)
    return indicator


@router.put("/{area_code}", response_model=TargetOut)
def set_area_target(code: str, area_code: str, body: TargetIn, session: SessionDep, principal: CurrentPrincipal):
    """A target for this area and the areas beneath it, in place of the indicator's own."""
    require_admin(principal, "mengubah target")
    _indicator(session, code)
    if session.get(Area, area_code) is None:
        raise not_found("Wilayah / area", area_code)
    statement = insert_on_conflict(session, AreaTarget.__table__).values(indicator_code=code, area_code=area_code,
                                                             target=body.target)
    session.execute(statement.on_conflict_do_update(index_elements=["indicator_code", "area_code"],
                                                    set_={"target": statement.excluded.target}))
    session.commit()
    # Areas beneath may now be below (or back above) target: a worker re-checks and emits.
    enqueue_recheck(code, area_code)
    return {"indicator_code": code, "area_code": area_code, "target": body.target}


@router.get("", response_model=Page[TargetOut])
def list_area_targets(code: str, session: SessionDep, principal: CurrentPrincipal):
    _indicator(session, code)
    rows = session.scalars(select(AreaTarget).where(AreaTarget.indicator_code == code).order_by(AreaTarget.area_code))
    return Page(items=[{"indicator_code": r.indicator_code, "area_code": r.area_code, "target": r.target}
                       for r in rows])
