"""Who may see and manage which subscriptions and deliveries, by token role (contract: Auth).

A subscription's scope is decided once, when it is made, by who made it, and never changes:
"puskesmas" (hears everything about the puskesmas in filters.puskesmas_id) only when an admin or
that puskesmas made it with that filter; "agency" (hears as its agency: follow-ups it owns,
supports or that escalated to it) otherwise, an agency's own always. On an agency-scope
subscription filters.puskesmas_id only narrows what it hears, so no PATCH can widen it.

admin: all. agency: its own agency's agency-scope subscriptions (a puskesmas-wide watch named
after an agency belongs to the puskesmas: the agency may neither see nor redirect it).
puskesmas: puskesmas-scope subscriptions on its own puskesmas, made by an admin or by a puskesmas
token; an agency's own subscriptions (the dinas kesehatan's included) are not its to see or change.
dinas: with its own agency (a dinas kesehatan's contact), exactly as that agency's token; without
one it has no subscriptions here (403: it hears nothing as an agency and watches no puskesmas)."""

from __future__ import annotations

from minilok_shared.auth import Principal
from minilok_shared.errors import forbidden
from sqlalchemy import ColumnElement, true

from minilok_notifications import models

PUSKESMAS_SCOPE_MAKERS = ("admin", "puskesmas")


def agency_of(principal: Principal) -> str | None:
    """The agency a token manages subscriptions for: an agency's, or a dinas's own agency."""
    if principal.role == "agency" or principal.is_dinas:
        return principal.agency_id
    return None


def check_subscriber(principal: Principal) -> None:
    """A dinas token without its agency may not list, make or manage subscriptions."""
    if principal.is_dinas and principal.agency_id is None:
        raise forbidden("Token dinas tanpa lembaga tidak punya langganan / a dinas token without its agency "
                        "has no subscriptions")


def visible(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on subscriptions a principal may see (403 for a dinas without its agency)."""
    sub = models.Subscription
    check_subscriber(principal)
    if principal.is_admin:
        return true()
    if agency_of(principal) is not None:
        return (sub.agency_id == _int(principal.agency_id)) & (sub.scope == "agency")
    return (sub.scope == "puskesmas") & sub.created_by_role.in_(PUSKESMAS_SCOPE_MAKERS) \
        & (sub.filter_puskesmas_id == _int(principal.puskesmas_id))


def can_manage(principal: Principal, sub: models.Subscription) -> bool:
    if principal.is_admin:
        return True
    if agency_of(principal) is not None:
        return str(sub.agency_id) == principal.agency_id and sub.scope == "agency"
    return sub.scope == "puskesmas" and sub.created_by_role in PUSKESMAS_SCOPE_MAKERS \
        and sub.filter_puskesmas_id is not None and str(sub.filter_puskesmas_id) == principal.puskesmas_id


def check_manage(principal: Principal, sub: models.Subscription) -> None:
    if not can_manage(principal, sub):
        raise forbidden()


def scope_for(created_by_role: str, filter_puskesmas_id: int | None) -> str:
    """At creation only: admin and puskesmas subscriptions with a puskesmas filter watch that whole
    puskesmas; everything else hears as its agency (owned, supported, escalated-to follow-ups only)."""
    if created_by_role in PUSKESMAS_SCOPE_MAKERS and filter_puskesmas_id is not None:
        return "puskesmas"
    return "agency"


def _int(value: str | None) -> int:
    return int(value) if value is not None and value.lstrip("-").isdigit() else -1
