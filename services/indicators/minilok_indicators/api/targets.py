"""Routes for area targets: set one for an area and the areas beneath it, list an indicator's."""

from fastapi import APIRouter
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import Page

from minilok_indicators.access import require_admin
from minilok_indicators.schemas import TargetIn, TargetOut
from minilok_indicators.service_layer import targets
from minilok_indicators.tasks import enqueue_recheck

router = APIRouter(prefix="/indicators/{code}/targets", tags=["indicators"])


@router.put("/{area_code}", response_model=TargetOut)
def set_area_target(code: str, area_code: str, body: TargetIn, session: SessionDep, principal: CurrentPrincipal):
    """A target for this area and the areas beneath it, in place of the indicator's own."""
    require_admin(principal, "mengubah target")
    targets.set_area_target(session, code, area_code, body.target)
    session.commit()
    # Areas beneath may now be below (or back above) target: a worker re-checks and emits.
    enqueue_recheck(code, area_code)
    return {"indicator_code": code, "area_code": area_code, "target": body.target}


@router.get("", response_model=Page[TargetOut])
def list_area_targets(code: str, session: SessionDep, principal: CurrentPrincipal):
    return Page(items=[{"indicator_code": r.indicator_code, "area_code": r.area_code, "target": r.target}
                       for r in targets.area_targets(session, code)])
