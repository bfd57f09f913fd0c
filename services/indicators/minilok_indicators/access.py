"""Who may do what here (contract: Auth). Every role reads (a dinas too: rollups, rankings and
values are aggregate figures every puskesmas already reads, so a dinas is not held to its area
here); only admins shape the hierarchy and the catalogue; admins and puskesmas report values (a
dinas reports nothing: its figures are the rollups of its puskesmas)."""

from __future__ import annotations

from minilok_shared.auth import Principal
from minilok_shared.errors import forbidden


def require_admin(principal: Principal, what: str) -> None:
    if not principal.is_admin:
        raise forbidden(f"Hanya admin yang bisa {what} / only admins may do this")


def require_reporter(principal: Principal) -> None:
    if principal.role not in ("admin", "puskesmas"):
        raise forbidden("Hanya admin atau puskesmas yang bisa mengirim nilai / only admins and puskesmas report values")
