"""Agencies (lintas-sektor partners): create, list, read, change, and the lookups others need."""

from __future__ import annotations

from collections.abc import Iterable

from minilok_shared.auth import Principal
from minilok_shared.errors import forbidden, not_found, unprocessable
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from minilok_meetings import models
from minilok_meetings.access import puskesmas_in_area
from minilok_meetings.domain.area_codes import within
from minilok_meetings.schemas import AgencyCreate, AgencyPatch, ContactIn


def agency_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the agencies `ids` names (None and unknown ids left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(models.Agency.id, models.Agency.name).where(models.Agency.id.in_(wanted))).all())


def usable_agency_ids(session: Session, ids: Iterable[int], puskesmas_id: int) -> set[int]:
    """Those of `ids` that exist and belong to this puskesmas or to none (dinas, BPJS...)."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = session.execute(select(models.Agency.id, models.Agency.puskesmas_id).where(models.Agency.id.in_(wanted)))
    return {agency_id for agency_id, owner in rows if owner is None or owner == puskesmas_id}


def _check_area(session, puskesmas_id: int | None, area_code: str | None) -> None:
    """An agency of a puskesmas works inside its area: proposals follow agency areas (`puskesmas.find_puskesmas`)."""
    if puskesmas_id is None or area_code is None:
        return
    puskesmas = session.get(models.Puskesmas, puskesmas_id)
    if puskesmas is not None and not within(area_code, puskesmas.area_code):
        raise unprocessable("area_code", f"wilayah {area_code} di luar wilayah puskesmas {puskesmas.area_code} / "
                                         "outside the puskesmas's area")


def visible(principal: Principal, agency: models.Agency) -> bool:
    """Admins: all. A puskesmas: its own and the shared ones (dinas, BPJS...). A dinas: those of the
    puskesmas within its area, the shared ones and its own. An agency: itself."""
    if principal.is_admin:
        return True
    if principal.role == "puskesmas":
        return agency.puskesmas_id is None or str(agency.puskesmas_id) == principal.puskesmas_id
    if principal.is_dinas and agency.puskesmas_id is None:
        return True
    if principal.is_dinas and str(agency.id) != principal.agency_id:
        puskesmas = object_session(agency).get(models.Puskesmas, agency.puskesmas_id)
        return puskesmas is not None and principal.covers_area(puskesmas.area_code)
    return str(agency.id) == principal.agency_id


def check_manager(principal: Principal) -> None:
    """Agencies are registered and changed by admins and puskesmas only."""
    if principal.role not in ("admin", "puskesmas"):
        raise forbidden()


def create_agency(session, principal: Principal, body: AgencyCreate) -> models.Agency:
    check_manager(principal)
    puskesmas_id = body.puskesmas_id
    if principal.role == "puskesmas":
        if puskesmas_id is None:
            puskesmas_id = int(principal.puskesmas_id)
        elif str(puskesmas_id) != principal.puskesmas_id:
            raise forbidden("Hanya untuk puskesmas sendiri / only for your own puskesmas")
    if puskesmas_id is not None and session.get(models.Puskesmas, puskesmas_id) is None:
        raise unprocessable("puskesmas_id", f"puskesmas {puskesmas_id} tidak ada / does not exist")
    if body.parent_id is not None:
        parent = session.get(models.Agency, body.parent_id)
        if parent is None or not visible(principal, parent):
            raise unprocessable("parent_id", f"lembaga induk {body.parent_id} tidak ada / parent agency does not exist")
    _check_area(session, puskesmas_id, body.area_code)
    agency = models.Agency(
        name=body.name, kind=body.kind, parent_id=body.parent_id, puskesmas_id=puskesmas_id,
        area_code=body.area_code, contacts=[models.AgencyContact(**c.model_dump()) for c in body.contacts],
    )
    session.add(agency)
    session.commit()
    return agency


def list_agencies(session, principal: Principal, puskesmas_id: int | None = None, kind: str | None = None,
                  limit: int = 50, cursor: str | None = None) -> Page[models.Agency]:
    query = select(models.Agency).order_by(models.Agency.id)
    if principal.role == "puskesmas":
        query = query.where(or_(models.Agency.puskesmas_id == int(principal.puskesmas_id),
                                models.Agency.puskesmas_id.is_(None)))
    elif principal.role == "agency":
        query = query.where(models.Agency.id == int(principal.agency_id))
    elif principal.is_dinas:
        mine = [models.Agency.id == int(principal.agency_id)] if principal.agency_id else []
        query = query.where(or_(models.Agency.puskesmas_id.is_(None),
                                models.Agency.puskesmas_id.in_(puskesmas_in_area(principal.area_code)), *mine))
    if puskesmas_id is not None:
        query = query.where(models.Agency.puskesmas_id == puskesmas_id)
    if kind is not None:
        query = query.where(models.Agency.kind == kind)
    if cursor:
        (after,) = decode_cursor(cursor)
        query = query.where(models.Agency.id > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)


def get_agency(session, principal: Principal, agency_id: int) -> models.Agency:
    agency = session.get(models.Agency, agency_id)
    if agency is None:
        raise not_found("Lembaga / agency", agency_id)
    if not visible(principal, agency):
        raise forbidden()
    return agency


def managed_agency(session, principal: Principal, agency_id: int) -> models.Agency:
    """An agency the user may change: admins any, a puskesmas its own (not the shared ones)."""
    check_manager(principal)
    agency = get_agency(session, principal, agency_id)
    if principal.role == "puskesmas" and agency.puskesmas_id is None:
        raise forbidden()
    return agency


def parent_chain(session, agency: models.Agency) -> list[models.Agency]:
    """Where escalation goes from `agency`: its parent, the parent's parent, ... (a cycle stops it)."""
    chain, seen, current = [], {agency.id}, agency
    while current.parent_id is not None and current.parent_id not in seen:
        current = session.get(models.Agency, current.parent_id)
        if current is None:
            break
        seen.add(current.id)
        chain.append(current)
    return chain


def patch_agency(session, principal: Principal, agency_id: int, body: AgencyPatch) -> models.Agency:
    """Rename, change the kind, move in the escalation chain (never into a cycle), or replace the contacts."""
    agency = managed_agency(session, principal, agency_id)
    changes = body.model_dump(exclude_unset=True)
    if principal.role == "puskesmas" and agency.kind == "puskesmas" and (
            ("parent_id" in changes and changes["parent_id"] != agency.parent_id)
            or (changes.get("kind") or agency.kind) != agency.kind):
        # The puskesmas's own agency escalates to its supervisor (the dinas kesehatan) and signs its
        # staff in: a puskesmas must not be able to take itself out of that oversight.
        raise forbidden("Induk eskalasi dan jenis lembaga puskesmas hanya diubah oleh admin / only an admin "
                        "changes a puskesmas's own escalation link and kind")
    if "parent_id" in changes and body.parent_id is not None:
        parent = session.get(models.Agency, body.parent_id)
        if parent is None or not visible(principal, parent):
            raise unprocessable("parent_id", f"lembaga induk {body.parent_id} tidak ada / parent agency does not exist")
        # Walk up from the new parent: meeting this agency again would make escalation loop.
        seen, current = set(), parent
        while current is not None and current.id not in seen:
            if current.id == agency.id:
                raise unprocessable("parent_id", f"{parent.name} sudah berada di bawah {agency.name}: rantai induk "
                                                 f"akan berputar / {parent.name} is already below {agency.name}: "
                                                 "the parent chain would form a cycle")
            seen.add(current.id)
            current = session.get(models.Agency, current.parent_id) if current.parent_id else None
    if "area_code" in changes:
        _check_area(session, agency.puskesmas_id, body.area_code)
    if "name" in changes and body.name is not None:
        agency.name = body.name
    if "kind" in changes and body.kind is not None:
        agency.kind = body.kind
    if "parent_id" in changes:
        agency.parent_id = body.parent_id
    if "area_code" in changes:
        agency.area_code = body.area_code
    if "contacts" in changes and body.contacts is not None:
        agency.contacts = [models.AgencyContact(**c.model_dump()) for c in body.contacts]
    session.commit()
    return agency


def add_contact(session, principal: Principal, agency_id: int, body: ContactIn) -> models.AgencyContact:
    agency = managed_agency(session, principal, agency_id)
    contact = models.AgencyContact(**body.model_dump())
    agency.contacts.append(contact)
    session.commit()
    return contact


def _contact(session, principal: Principal, agency_id: int, contact_id: int) -> models.AgencyContact:
    agency = managed_agency(session, principal, agency_id)
    contact = next((c for c in agency.contacts if c.id == contact_id), None)
    if contact is None:
        raise not_found("Kontak / contact", contact_id)
    return contact


def remove_contact(session, principal: Principal, agency_id: int, contact_id: int) -> None:
    """The contact no longer hears from Minilok nor signs in (a code already sent stops working)."""
    contact = _contact(session, principal, agency_id, contact_id)
    contact.agency.contacts.remove(contact)
    session.commit()


def set_can_sign_in(session, principal: Principal, agency_id: int, contact_id: int,
                    allowed: bool) -> models.AgencyContact:
    """Switch "boleh masuk": off, its phone or email is answered as an unknown one."""
    contact = _contact(session, principal, agency_id, contact_id)
    contact.can_sign_in = allowed
    session.commit()
    return contact
