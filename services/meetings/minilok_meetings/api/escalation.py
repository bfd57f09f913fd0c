from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException
from minilok_shared.deps import CurrentPrincipal, SessionDep
from minilok_shared.errors import not_found
from pydantic import BaseModel, Field, PlainSerializer, field_validator, model_validator
from sqlalchemy import select

from minilok_meetings import models, reminders
from minilok_meetings.api.access import check_puskesmas
from minilok_meetings.api.schemas import Strict
from minilok_meetings.domain.escalation import DEFAULT_POLICY, NOTIFY_PATTERN, Policy
from minilok_meetings.domain.followup import ACTIVE

router = APIRouter(prefix="/escalation-policies", tags=["escalation"])


def iso_duration(value: timedelta) -> str:
    """Days and a time part, never years or months (a year is not a fixed number of days), in
    the RFC 3339 duration grammar: P3D, PT12H, P1DT0H30M (no unit skipped between two used)."""
    days, rest = value.days, round(value.seconds + value.microseconds / 1e6)
    parts = [(rest // 3600, "H"), (rest % 3600 // 60, "M"), (rest % 60, "S")]
    used = [i for i, (n, _) in enumerate(parts) if n]
    time = "T" + "".join(f"{n}{unit}" for n, unit in parts[used[0]:used[-1] + 1]) if used else ""
    if not days:
        return f"P{time}" if time else "PT0S"
    return f"P{days}D{time}"


# Pydantic would write 9,507 days as "P26Y17D": not a valid RFC 3339 duration, and not the same length.
Duration = Annotated[timedelta, PlainSerializer(iso_duration, return_type=str, when_used="json")]


class StepIn(Strict):
    after: Duration = Field(description="ISO 8601 duration after due_at, e.g. P3D")
    notify: str = Field(pattern=NOTIFY_PATTERN, description="owner, owner_parent, puskesmas or agency:<id>")
    working_days: bool = False

    @field_validator("after")
    @classmethod
    def not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("tidak boleh negatif / must not be negative")
        return value

    @model_validator(mode="after")
    def whole_working_days(self):
        if self.working_days and self.after % timedelta(days=1):
            raise ValueError("hari kerja harus bilangan hari utuh / working days must be whole days (e.g. P3D)")
        return self


class PolicyIn(Strict):
    due_soon_before: Duration = Field(timedelta(days=2), description="ISO 8601 duration before due_at, e.g. P2D")
    steps: list[StepIn] = Field(min_length=1, max_length=10)

    @field_validator("due_soon_before")
    @classmethod
    def positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("tidak boleh negatif / must not be negative")
        return value

    @field_validator("steps")
    @classmethod
    def in_order(cls, steps: list[StepIn]) -> list[StepIn]:
        if any(b.after < a.after for a, b in zip(steps, steps[1:])):
            raise ValueError("langkah harus urut waktu / steps must be in order of 'after'")
        return steps


class PolicyOut(BaseModel):
    puskesmas_id: int
    due_soon_before: Duration
    steps: list[StepIn]
    is_default: bool


def policy_out(puskesmas_id: int, policy: Policy, is_default: bool) -> PolicyOut:
    return PolicyOut(puskesmas_id=puskesmas_id, due_soon_before=policy.due_soon_before, is_default=is_default,
                     steps=[StepIn(after=s.after, notify=s.notify, working_days=s.working_days) for s in policy.steps])


def _puskesmas(session, principal, puskesmas_id: int) -> models.Puskesmas:
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


@router.get("/{puskesmas_id}", response_model=PolicyOut)
def get_policy(puskesmas_id: int, session: SessionDep, principal: CurrentPrincipal):
    _puskesmas(session, principal, puskesmas_id)
    row = session.get(models.EscalationPolicy, puskesmas_id)
    return policy_out(puskesmas_id, reminders.policy_from_row(row) if row else DEFAULT_POLICY, row is None)


@router.put("/{puskesmas_id}", response_model=PolicyOut)
def put_policy(puskesmas_id: int, body: PolicyIn, session: SessionDep, principal: CurrentPrincipal):
    _puskesmas(session, principal, puskesmas_id)
    _check_targets(session, puskesmas_id, body.steps)
    stored = body.model_dump(mode="json")
    row = session.get(models.EscalationPolicy, puskesmas_id)
    if row is None:
        row = models.EscalationPolicy(puskesmas_id=puskesmas_id)
        session.add(row)
    row.due_soon_before, row.steps = stored["due_soon_before"], stored["steps"]
    session.flush()
    # Open work follows the new ladder from where it stands.
    ctx = reminders.load_contexts(session, {puskesmas_id})[puskesmas_id]
    for followup in session.scalars(select(models.FollowUp).where(
            models.FollowUp.puskesmas_id == puskesmas_id, models.FollowUp.status.in_(ACTIVE))):
        reminders.schedule(followup, ctx)
    session.commit()
    return policy_out(puskesmas_id, reminders.policy_from_row(row), False)
