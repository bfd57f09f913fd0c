"""Reminders and escalation: the ladder of a puskesmas's policy, as a timeline of stages that
each follow-up walks through once per due time.

Stage 0 is "due soon" (before the due time), stage 1 "overdue" (at the due time), then one stage
per escalation step. A step at +0 after the due time is the overdue notice itself (level 1 in the
default policy); later steps are `followup.escalated` at levels 2, 3, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from minilok_meetings.domain.calendar import WorkingCalendar, add_working_days_to_time


@dataclass(frozen=True)
class Step:
    after: timedelta
    notify: str  # "owner" | "owner_parent" | "puskesmas" | "agency:<id>"
    working_days: bool = False


@dataclass(frozen=True)
class Policy:
    due_soon_before: timedelta
    steps: tuple[Step, ...]


DEFAULT_POLICY = Policy(
    due_soon_before=timedelta(days=2),
    steps=(
        Step(timedelta(0), "owner"),
        Step(timedelta(days=3), "owner_parent", working_days=True),
        Step(timedelta(days=7), "puskesmas", working_days=True),
    ),
)


@dataclass(frozen=True)
class Stage:
    at: datetime
    kind: str  # "due_soon" | "overdue" | "escalated"
    level: int  # the escalation level once this stage has fired
    notify: str | None  # whom the step names (None for due soon)


def step_time(due_at: datetime, step: Step, tz: str, calendar: WorkingCalendar) -> datetime:
    if step.working_days:
        return add_working_days_to_time(due_at, step.after.days, tz, calendar) + (
            step.after - timedelta(days=step.after.days))
    return due_at + step.after


@lru_cache(maxsize=4096)
def _timeline(due_at: datetime, policy: Policy, tz: str, calendar: WorkingCalendar) -> tuple[Stage, ...]:
    return tuple(_build_timeline(due_at, policy, tz, calendar))


def timeline(due_at: datetime, policy: Policy, tz: str, calendar: WorkingCalendar) -> list[Stage]:
    """The stages of one due time. Cached: a burst of follow-ups usually shares a due time."""
    return list(_timeline(due_at, policy, tz, calendar))


def _build_timeline(due_at: datetime, policy: Policy, tz: str, calendar: WorkingCalendar) -> list[Stage]:
    stages = [Stage(due_at - policy.due_soon_before, "due_soon", 0, None)]
    steps = list(policy.steps)
    if steps and steps[0].after == timedelta(0):
        first = steps.pop(0)
        stages.append(Stage(due_at, "overdue", 1, first.notify))
    else:
        stages.append(Stage(due_at, "overdue", 0, None))
    base_level = stages[-1].level
    for offset, step in enumerate(steps, start=1):
        stages.append(Stage(step_time(due_at, step, tz, calendar), "escalated", base_level + offset, step.notify))
    return stages


def advance(stages: list[Stage], fired: int, now: datetime) -> tuple[list[tuple[int, Stage]], int]:
    """The stages to fire now (with their index), in order, and how many stages are then done.
    A stage fires only after the ones before it; a due-soon notice is skipped once overdue."""
    to_fire = []
    done = fired
    while done < len(stages) and stages[done].at <= now:
        stage = stages[done]
        if not (stage.kind == "due_soon" and now >= stages[1].at):
            to_fire.append((done, stage))
        done += 1
    return to_fire, done


def next_reminder_at(stages: list[Stage], fired: int) -> datetime | None:
    return stages[fired].at if fired < len(stages) else None


_duration = TypeAdapter(timedelta)
NOTIFY_PATTERN = r"^(owner|owner_parent|puskesmas|agency:[0-9]+)$"


def parse_policy(due_soon_before: str, steps: list[dict[str, Any]]) -> Policy:
    """A stored policy (ISO 8601 durations, as in the API) back into the domain's terms."""
    return Policy(
        due_soon_before=_duration.validate_python(due_soon_before),
        steps=tuple(Step(_duration.validate_python(s["after"]), s["notify"], bool(s.get("working_days", False)))
                    for s in steps),
    )
