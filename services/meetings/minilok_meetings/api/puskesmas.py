from fastapi import APIRouter, status
from minilok_shared.deps import CurrentPrincipal, SessionDep, require_roles
from minilok_shared.errors import conflict, forbidden, not_found
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page
from sqlalchemy import select

from minilok_meetings import models
from minilok_meetings.api.schemas import PuskesmasCreate, PuskesmasOut, PuskesmasPatch

router = APIRouter(prefix="/puskesmas", tags=["puskesmas"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PuskesmasOut,
             dependencies=[require_roles("admin")])
def create_puskesmas(body: PuskesmasCreate, session: SessionDep):
    if session.scalar(select(models.Puskesmas.id).where(models.Puskesmas.code == body.code)):
        raise conflict(f"Kode puskesmas {body.code} sudah ada / puskesmas code already exists")
    puskesmas = models.Puskesmas(**body.model_dump(exclude={"extra_holidays"}),
                                 extra_holidays=[d.isoformat() for d in body.extra_holidays])
    session.add(puskesmas)
    session.commit()
    return puskesmas


@router.get("", response_model=Page[PuskesmasOut])
def list_puskesmas(session: SessionDep, principal: CurrentPrincipal, limit: int = LimitQuery,
                   cursor: str | None = None):
    query = select(models.Puskesmas).order_by(models.Puskesmas.id)
    if principal.role == "puskesmas":
        query = query.where(models.Puskesmas.id == int(principal.puskesmas_id))
    elif not principal.is_admin:
        raise forbidden()
    if cursor:
        (after,) = decode_cursor(cursor)
        query = query.where(models.Puskesmas.id > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)


@router.get("/{puskesmas_id}", response_model=PuskesmasOut)
def get_puskesmas(puskesmas_id: int, session: SessionDep, principal: CurrentPrincipal):
    if not (principal.is_admin or principal.puskesmas_id == str(puskesmas_id)):
        raise forbidden()
    puskesmas = session.get(models.Puskesmas, puskesmas_id)
    if puskesmas is None:
        raise not_found("Puskesmas", puskesmas_id)
    return puskesmas


@router.patch("/{puskesmas_id}", response_model=PuskesmasOut)
def patch_puskesmas(puskesmas_id: int, body: PuskesmasPatch, session: SessionDep, principal: CurrentPrincipal):
    """Name, head, and the puskesmas's own extra days off (working days are counted without them)."""
    puskesmas = get_puskesmas(puskesmas_id, session, principal)
    changes = body.model_dump(exclude_unset=True)
    if "extra_holidays" in changes:
        changes["extra_holidays"] = sorted({d.isoformat() for d in body.extra_holidays or []})
    for field, value in changes.items():
        if value is not None or field == "head_name":
            setattr(puskesmas, field, value)
    session.commit()
    return puskesmas
