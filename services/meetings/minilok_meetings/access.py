"""Who may see and change what, by token role (contract: Auth).

Reading a follow-up: admins; its puskesmas; the agency that owns it, supports it or that it was
escalated to (a dinas token's own agency counts too); a dinas over the area of its puskesmas.
Notes go to everyone who may read it. Changing things stays with the puskesmas and the owner."""

from __future__ import annotations

from minilok_shared.auth import Principal
from minilok_shared.errors import forbidden
from sqlalchemy import ColumnElement, Select, false, func, literal, or_, select
from sqlalchemy.orm import Session, object_session

from minilok_meetings import models

AGENCY_ROLES = ("agency", "dinas")  # a dinas token may carry its own agency (the dinas kesehatan's)


def check_puskesmas(principal: Principal, puskesmas_id: int | None) -> None:
    """Admins reach every puskesmas; a puskesmas token only its own; agencies and dinas manage nothing here."""
    if principal.is_admin:
        return
    if principal.role == "puskesmas" and puskesmas_id is not None and principal.puskesmas_id == str(puskesmas_id):
        return
    raise forbidden()


def within_area(column, code: str | None) -> ColumnElement[bool]:
    """SQL: `column` holds `code` or a code beneath it ("21.71" holds "21.71.06", not "21.711");
    None (a dinas token without an area): nothing. A prefix compare by substr rather than LIKE:
    exact on both databases (SQLite's LIKE ignores case, and a code may hold '_' or '%')."""
    if code is None:
        return false()
    return or_(column == literal(code), func.substr(column, 1, literal(len(code) + 1)) == literal(code + "."))


def puskesmas_in_area(code: str | None) -> Select:
    """The ids of the puskesmas whose area lies within `code`."""
    return select(models.Puskesmas.id).where(within_area(models.Puskesmas.area_code, code))


def check_read_puskesmas(principal: Principal, puskesmas: models.Puskesmas | None) -> None:
    """Reading a puskesmas and what is its (meetings, minutes, agencies, policy, proposals): those who
    manage it, and a dinas whose area holds it. None (no such puskesmas): admins pass, to answer 404."""
    if puskesmas is not None and principal.is_dinas and principal.covers_area(puskesmas.area_code):
        return
    check_puskesmas(principal, puskesmas.id if puskesmas is not None else None)


def _escalated_to(session: Session | None, followup_id: int, agency_id: str) -> bool:
    if session is None or not agency_id.isdigit():
        return False
    return session.get(models.FollowUpEscalation, (followup_id, int(agency_id))) is not None


def can_read_followup(principal: Principal, followup, session: Session | None = None) -> bool:
    """`followup`: a models.FollowUp or a FollowUpOut. The checks that need the database (a dinas's
    area, an agency escalated to) use `session`, or the follow-up's own when it is an ORM object."""
    if principal.is_admin:
        return True
    if principal.role == "puskesmas":
        return principal.puskesmas_id == str(followup.puskesmas_id)
    if principal.role not in AGENCY_ROLES:
        return False
    agency = principal.agency_id
    if agency is not None and (agency == str(followup.owner_agency_id)
                               or agency in {str(a) for a in followup.supporting_agency_ids}):
        return True
    session = session or object_session(followup)
    if principal.is_dinas and session is not None:
        puskesmas = session.get(models.Puskesmas, followup.puskesmas_id)
        if puskesmas is not None and principal.covers_area(puskesmas.area_code):
            return True
    return agency is not None and _escalated_to(session, followup.id, agency)


def check_read_followup(principal: Principal, followup, session: Session | None = None) -> None:
    if not can_read_followup(principal, followup, session):
        raise forbidden()


def check_note_writer(principal: Principal, followup, session: Session | None = None) -> None:
    """A note ("sudah kami tegur"): everyone the follow-up concerns, which is everyone who may read it."""
    check_read_followup(principal, followup, session)


def is_owner(principal: Principal, followup) -> bool:
    """The owning agency's token (an agency's, or a dinas's whose own agency owns it)."""
    return principal.role in AGENCY_ROLES and principal.agency_id == str(followup.owner_agency_id)


def check_owner_or_manager(principal: Principal, followup: models.FollowUp) -> None:
    """Progress and completion: the owning agency, its puskesmas, or an admin."""
    if is_owner(principal, followup):
        return
    if principal.role == "agency":
        raise forbidden("Hanya lembaga penanggung jawab / only the owning agency")
    check_puskesmas(principal, followup.puskesmas_id)


def check_progress_reporter(principal: Principal, followup: models.FollowUp, percent: int | None = None) -> None:
    """Progress notes: the owning agency, a supporting agency (a note only: no percent), its
    puskesmas, or an admin."""
    if principal.role in AGENCY_ROLES and not is_owner(principal, followup) \
            and principal.agency_id in {str(a) for a in followup.supporting_agency_ids}:
        if percent is not None:
            raise forbidden("Lembaga pendukung hanya dapat menambah catatan, bukan persentase / "
                            "a supporting agency may add notes, not set the percent")
        return
    check_owner_or_manager(principal, followup)
