"""Agency routes: parse the request, call the service layer, answer."""

from fastapi import APIRouter, Query, status
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.pagination import LimitQuery, Page

from minilok_meetings.schemas import AgencyCreate, AgencyKind, AgencyOut, AgencyPatch
from minilok_meetings.service_layer import agencies

router = APIRouter(prefix="/agencies", tags=["agencies"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AgencyOut)
def create_agency(body: AgencyCreate, session: SessionDep, principal: CurrentPrincipal):
    return agencies.create_agency(session, principal, body)


@router.get("", response_model=Page[AgencyOut])
def list_agencies(
    session: SessionDep,
    principal: CurrentPrincipal,
    puskesmas_id: int | None = None,
    kind: AgencyKind | None = Query(None),
    limit: int = LimitQuery,
    cursor: str | None = None,
):
    return agencies.list_agencies(session, principal, puskesmas_id, kind, limit, cursor)


@router.get("/{agency_id}", response_model=AgencyOut)
def get_agency(agency_id: int, session: SessionDep, principal: CurrentPrincipal):
    return agencies.get_agency(session, principal, agency_id)


@router.patch("/{agency_id}", response_model=AgencyOut)
def patch_agency(agency_id: int, body: AgencyPatch, session: SessionDep, principal: CurrentPrincipal):
    """Rename, move in the escalation chain (never into a cycle), or replace the contacts."""
    return agencies.patch_agency(session, principal, agency_id, body)
