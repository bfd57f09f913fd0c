"""Route of the rapor lintas sektor (per agency: follow-ups assigned, done on time or late, overdue)."""

from datetime import date

from fastapi import APIRouter, Query
from minilok_shared.deps import CurrentPrincipal, SessionDep
from pydantic import BaseModel, ConfigDict, Field

from minilok_meetings.service_layer import scorecard as service

router = APIRouter(prefix="/scorecard", tags=["scorecard"])


class AgencyScoreOut(BaseModel):
    agency_id: int
    agency_name: str
    assigned: int
    done_on_time: int
    done_late: int
    open_overdue: int
    median_days_late: float | None


class ScorecardOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    puskesmas_ids: list[int] | None
    items: list[AgencyScoreOut]
    total: AgencyScoreOut


def _out(score: service.AgencyScore) -> AgencyScoreOut:
    return AgencyScoreOut(**{name: getattr(score, name) for name in AgencyScoreOut.model_fields})


@router.get("", response_model=ScorecardOut)
def get_scorecard(session: SessionDep, principal: CurrentPrincipal, puskesmas_id: int | None = None,
                  from_: date | None = Query(None, alias="from", description="first day (default: the quarter's)"),
                  to: date | None = Query(None, description="last day, inclusive (default: the quarter's)")):
    """Follow-ups due from `from` to `to`, per owner agency, worst first; `total` adds them up.
    A puskesmas sees its own, a dinas its area's puskesmas (all of them without `puskesmas_id`),
    an agency only its own row."""
    card = service.scorecard(session, principal, puskesmas_id, from_, to)
    return {"from": card.from_, "to": card.to, "puskesmas_ids": card.puskesmas_ids,
            "items": [_out(s) for s in card.items], "total": _out(card.total)}
