"""Who may see and change what, by token role (contract: Auth)."""

from __future__ import annotations

from minilok_shared.auth import Principal
from minilok_shared.errors import forbidden

from minilok_meetings import models


def check_puskesmas(principal: Principal, puskesmas_id: int | None) -> None:
    """Admins reach every puskesmas; a puskesmas token only its own; agencies manage nothing here."""
    if principal.is_admin:
        return
    if principal.role == "puskesmas" and puskesmas_id is not None and principal.puskesmas_id == str(puskesmas_id):
        return
    raise forbidden()


def can_read_followup(principal: Principal, followup: models.FollowUp) -> bool:
    if principal.is_admin:
        return True
    if principal.role == "puskesmas":
        return principal.puskesmas_id == str(followup.puskesmas_id)
    agency = principal.agency_id
    return agency is not None and (
        agency == str(followup.owner_agency_id) or agency in {str(a) for a in followup.supporting_agency_ids}
    )


def check_read_followup(principal: Principal, followup: models.FollowUp) -> None:
    if not can_read_followup(principal, followup):
        raise forbidden()


def check_owner_or_manager(principal: Principal, followup: models.FollowUp) -> None:
    """Progress and completion: the owning agency, its puskesmas, or an admin."""
    if principal.role == "agency":
        if principal.agency_id != str(followup.owner_agency_id):
            raise forbidden("Hanya lembaga penanggung jawab / only the owning agency")
        return
    check_puskesmas(principal, followup.puskesmas_id)


def check_progress_reporter(principal: Principal, followup: models.FollowUp, percent: int | None = None) -> None:
    """Progress notes: the owning agency, a supporting agency (a note only: no percent), its
    puskesmas, or an admin."""
    if principal.role == "agency" and principal.agency_id in {str(a) for a in followup.supporting_agency_ids} \
            and principal.agency_id != str(followup.owner_agency_id):
        if percent is not None:
            raise forbidden("Lembaga pendukung hanya dapat menambah catatan, bukan persentase / "
                            "a supporting agency may add notes, not set the percent")
        return
    check_owner_or_manager(principal, followup)
