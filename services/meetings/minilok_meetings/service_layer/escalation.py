"""Escalation policies of a puskesmas: read (the default when none is set) and replace."""

from __future__ import annotations

from fastapi import HTTPException
from minilok_shared.auth import Principal
from minilok_shared.errors import not_found
from sqlalchemy import null, select

from minilok_meetings import models
from minilok_meetings.access import check_puskesmas
from minilok_meetings.domain.escalation import DEFAULT_POLICY, Policy
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.schemas import PolicyIn, StepIn
from minilok_meetings.service_layer import reminders
from minilok_meetings.service_layer.puskesmas import get_puskesmas


def _puskesmas(session, principal: Principal, puskesmas_id: int) -> models.Puskesmas:
    check_puskesmas(principal, puskesmas_id)
    puskesmas = session.get(models.Puskesmas, puskesmas_id)
    if puskesmas is None:
        raise not_found("Puskesmas", puskesmas_id)
    return puskesmas


def _check_targets(session, puskesmas_id: int, steps: list[StepIn]) -> None:
    """An `agency:<id>` step names an agency of this puskesmas or a shared one (its dinas
    kesehatan): never another puskesmas's agency, nor one that does not exist."""
    errors = []
    for index, step in enumerate(steps):
        if not step.notify.startswith("agency:"):
            continue
        agency_id = int(step.notify.split(":", 1)[1])
        # Ids are 64-bit: a longer number names nothing (and PostgreSQL would refuse to compare it).
        agency = session.get(models.Agency, agency_id) if agency_id < 2**63 else None
        if agency is None or agency.puskesmas_id not in (None, puskesmas_id):
            errors.append({"loc": ["body", "steps", index, "notify"], "type": "value_error",
                           "msg": f"{step.notify} bukan lembaga puskesmas ini / not an agency of this puskesmas"})
    if errors:
        raise HTTPException(422, errors)


def get_policy(session, principal: Principal, puskesmas_id: int) -> tuple[Policy, bool]:
    """The puskesmas's policy, and whether it is the default (none set); a dinas over it reads it too."""
    get_puskesmas(session, principal, puskesmas_id)
    row = session.get(models.EscalationPolicy, puskesmas_id)
    return (reminders.policy_from_row(row) if row else DEFAULT_POLICY), row is None


def put_policy(session, principal: Principal, puskesmas_id: int, body: PolicyIn) -> Policy:
    """Replace the policy; open work follows the new ladder from where it stands."""
    _puskesmas(session, principal, puskesmas_id)
    _check_targets(session, puskesmas_id, body.steps)
    stored = body.model_dump(mode="json")
    row = session.get(models.EscalationPolicy, puskesmas_id)
    if row is None:
        row = models.EscalationPolicy(puskesmas_id=puskesmas_id)
        session.add(row)
    row.due_soon_before, row.steps = stored["due_soon_before"], stored["steps"]
    # null() and not None: a new row would otherwise take the column's default ("never" is NULL).
    row.repeat_every = stored["repeat_every"] if stored["repeat_every"] is not None else null()
    row.progress_pause = stored["progress_pause"] if stored["progress_pause"] is not None else null()
    session.flush()
    ctx = reminders.load_contexts(session, {puskesmas_id})[puskesmas_id]
    for followup in session.scalars(select(models.FollowUp).where(
            models.FollowUp.puskesmas_id == puskesmas_id, models.FollowUp.status.in_(ACTIVE))):
        reminders.schedule(followup, ctx)
    session.commit()
    return reminders.policy_from_row(row)
