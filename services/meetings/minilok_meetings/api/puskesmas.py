"""Puskesmas routes: parse the request, call the service layer, answer."""

from fastapi import APIRouter, status
from minilok_shared.deps import CurrentPrincipal, SessionDep, require_roles
from minilok_shared.pagination import LimitQuery, Page

from minilok_meetings.schemas import PuskesmasCreate, PuskesmasOut, PuskesmasPatch
from minilok_meetings.service_layer import puskesmas

router = APIRouter(prefix="/puskesmas", tags=["puskesmas"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PuskesmasOut,
             dependencies=[require_roles("admin")])
def create_puskesmas(body: PuskesmasCreate, session: SessionDep):
    return puskesmas.create_puskesmas(session, body)


@router.get("", response_model=Page[PuskesmasOut])
def list_puskesmas(session: SessionDep, principal: CurrentPrincipal, limit: int = LimitQuery,
                   cursor: str | None = None):
    return puskesmas.list_puskesmas(session, principal, limit, cursor)


@router.get("/{puskesmas_id}", response_model=PuskesmasOut)
def get_puskesmas(puskesmas_id: int, session: SessionDep, principal: CurrentPrincipal):
    return puskesmas.get_puskesmas(session, principal, puskesmas_id)


@router.patch("/{puskesmas_id}", response_model=PuskesmasOut)
def patch_puskesmas(puskesmas_id: int, body: PuskesmasPatch, session: SessionDep, principal: CurrentPrincipal):
    """Name, head, and the puskesmas's own extra days off (working days are counted without them)."""
    return puskesmas.patch_puskesmas(session, principal, puskesmas_id, body)
