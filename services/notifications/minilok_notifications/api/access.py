"""Who may see and manage which subscriptions and deliveries, by token role (contract: Auth).

admin: all. agency: its own agency's subscriptions that hear as that agency (a puskesmas-wide
watch named after an agency belongs to the puskesmas: the agency may neither see nor redirect it).
puskesmas: subscriptions whose filters.puskesmas_id is its own (they watch the whole puskesmas)."""

from __future__ import annotations

from minilok_shared.auth import Principal, forbidden
from sqlalchemy import ColumnElement, true

from minilok_notifications import models


def visible(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on subscriptions a principal may see."""
    sub = models.Subscription
    if principal.is_admin:
        return true()
    if principal.role == "agency":
        return (sub.agency_id == _int(principal.agency_id)) & (sub.scope == "agency")
    return sub.filter_puskesmas_id == _int(principal.puskesmas_id)


def can_manage(principal: Principal, sub: models.Subscription) -> bool:
    if principal.is_admin:
        return True
    if principal.role == "agency":
        return str(sub.agency_id) == principal.agency_id and sub.scope == "agency"
    return sub.filter_puskesmas_id is not None and str(sub.filter_puskesmas_id) == principal.puskesmas_id


def check_manage(principal: Principal, sub: models.Subscription) -> None:
    if not can_manage(principal, sub):
        raise forbidden()


def scope_for(created_by_role: str, filter_puskesmas_id: int | None) -> str:
    """Admin and puskesmas subscriptions with a puskesmas filter watch that whole puskesmas;
    everything else hears as its agency (owned, supported, escalated-to follow-ups only)."""
    if created_by_role in ("admin", "puskesmas") and filter_puskesmas_id is not None:
        return "puskesmas"
    return "agency"


def _int(value: str | None) -> int:
    return int(value) if value is not None and value.lstrip("-").isdigit() else -1
