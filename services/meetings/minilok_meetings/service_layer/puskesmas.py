"""Puskesmas: register, list, read, change, and which one's working area holds an area code."""

from __future__ import annotations

from minilok_shared.auth import Principal
from minilok_shared.errors import conflict, forbidden, not_found
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_meetings.access import check_puskesmas, check_read_puskesmas, within_area
from minilok_meetings.domain.area_codes import dotted_prefixes, within
from minilok_meetings.schemas import PuskesmasCreate, PuskesmasPatch


def create_puskesmas(session, body: PuskesmasCreate) -> models.Puskesmas:
    """Admins only (the route checks the role)."""
    if session.scalar(select(models.Puskesmas.id).where(models.Puskesmas.code == body.code)):
        raise conflict(f"Kode puskesmas {body.code} sudah ada / puskesmas code already exists")
    puskesmas = models.Puskesmas(**body.model_dump(exclude={"extra_holidays"}),
                                 extra_holidays=[d.isoformat() for d in body.extra_holidays])
    session.add(puskesmas)
    session.commit()
    return puskesmas


def list_puskesmas(session, principal: Principal, limit: int = 50,
                   cursor: str | None = None) -> Page[models.Puskesmas]:
    query = select(models.Puskesmas).order_by(models.Puskesmas.id)
    if principal.role == "puskesmas":
        query = query.where(models.Puskesmas.id == int(principal.puskesmas_id))
    elif principal.is_dinas:
        query = query.where(within_area(models.Puskesmas.area_code, principal.area_code))
    elif not principal.is_admin:
        raise forbidden()
    if cursor:
        (after,) = decode_cursor(cursor)
        query = query.where(models.Puskesmas.id > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)


def get_puskesmas(session, principal: Principal, puskesmas_id: int) -> models.Puskesmas:
    """For those who manage it, and a dinas whose area holds it (a dinas learns nothing of a
    puskesmas outside: 403 before the lookup)."""
    if not (principal.is_admin or principal.is_dinas or principal.puskesmas_id == str(puskesmas_id)):
        raise forbidden()
    puskesmas = session.get(models.Puskesmas, puskesmas_id)
    if puskesmas is None:
        raise forbidden() if principal.is_dinas else not_found("Puskesmas", puskesmas_id)
    check_read_puskesmas(principal, puskesmas)
    return puskesmas


def patch_puskesmas(session, principal: Principal, puskesmas_id: int, body: PuskesmasPatch) -> models.Puskesmas:
    """Name, head, and the puskesmas's own extra days off (working days are counted without them)."""
    check_puskesmas(principal, puskesmas_id)
    puskesmas = get_puskesmas(session, principal, puskesmas_id)
    changes = body.model_dump(exclude_unset=True)
    if "extra_holidays" in changes:
        changes["extra_holidays"] = sorted({d.isoformat() for d in body.extra_holidays or []})
    for field, value in changes.items():
        if value is not None or field == "head_name":
            setattr(puskesmas, field, value)
    session.commit()
    return puskesmas


def find_puskesmas(session: Session, area_codes: list[str]) -> int | None:
    """The puskesmas whose working area holds the first of `area_codes` (the area itself, then its ancestors).

    By Kemendagri dotted codes: a puskesmas's own `area_code` equals the code, one of its ancestors,
    or a dotted prefix of them ("21.71.06" holds "21.71.06.1004" and the posyandu under it). The most
    specific puskesmas area wins; among equally specific ones (two in one kecamatan), the most
    specific area of one of their agencies. An agency's area counts only inside its own puskesmas's
    area, so it never pulls another puskesmas's kelurahan."""
    candidates = {prefix for code in area_codes for prefix in dotted_prefixes(code)}
    own: dict[int, int] = {}
    for puskesmas_id, code in session.execute(
            select(models.Puskesmas.id, models.Puskesmas.area_code).where(models.Puskesmas.area_code.in_(candidates))):
        own[puskesmas_id] = len(code)
    refined: dict[int, int] = {}
    for puskesmas_id, code, puskesmas_area in session.execute(
            select(models.Agency.puskesmas_id, models.Agency.area_code, models.Puskesmas.area_code)
            .join(models.Puskesmas, models.Puskesmas.id == models.Agency.puskesmas_id)
            .where(models.Agency.area_code.in_(candidates))):
        # Rows written before agencies were held to their puskesmas's area must not pull either.
        if within(code, puskesmas_area):
            refined[puskesmas_id] = max(refined.get(puskesmas_id, 0), len(code))
    if not own:
        return None
    return max(own, key=lambda pid: (own[pid], refined.get(pid, 0), -pid))
