"""Reminders and escalation: the ladder of a puskesmas's policy, as a timeline of stages that
each follow-up walks through once per due time.

Stage 0 is "due soon" (before the due time), stage 1 "overdue" (at the due time), then one stage
per escalation step. A step at +0 after the due time is the overdue notice itself (level 1 in the
default policy); later steps are `followup.escalated` at levels 2, 3, ...

The ladder listens: an acknowledgement or a progress note holds back every stage not yet fired
that notifies someone other than the owner until `paused_until`; after the last stage, its
notification repeats every `repeat_every` working days (repeat 1, 2, ...) until the work is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from minilok_meetings.domain.calendar import WorkingCalendar, add_working_days_to_time


@dataclass(frozen=True)
class Step:
    after: timedelta
    notify: str  # "owner" | "owner_parent" | "puskesmas" | "agency:<id>"
    working_days: bool = False
    # Its notices pass the receivers' quiet hours and daily digest (events carry `urgent: true`).
    urgent: bool = False


REPEAT_EVERY = timedelta(days=5)
PROGRESS_PAUSE = timedelta(days=3)


@dataclass(frozen=True)
class Policy:
    due_soon_before: timedelta
    steps: tuple[Step, ...]
    # Both in working days (the whole days of the duration; any rest as plain time); None: never.
    repeat_every: timedelta | None = REPEAT_EVERY
    progress_pause: timedelta | None = PROGRESS_PAUSE


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
    urgent: bool = False  # the step's own flag

    @property
    def beyond_owner(self) -> bool:
        """Whether it tells someone other than the owner (only those wait for a pause to run out)."""
        return self.notify not in (None, "owner")


def add_working_duration(moment: datetime, duration: timedelta, tz: str, calendar: WorkingCalendar) -> datetime:
    """`duration`'s whole days as working days (same local clock time), then any rest as plain time."""
    return add_working_days_to_time(moment, duration.days, tz, calendar) + (duration - timedelta(days=duration.days))


def step_time(due_at: datetime, step: Step, tz: str, calendar: WorkingCalendar) -> datetime:
    if step.working_days:
        return add_working_duration(due_at, step.after, tz, calendar)
    return due_at + step.after


def pause_until(now: datetime, policy: Policy, tz: str, calendar: WorkingCalendar,
                current: datetime | None = None) -> datetime | None:
    """Until when an acknowledgement or progress note at `now` holds escalation back (never
    earlier than a pause already running); None when the policy does not pause."""
    if policy.progress_pause is None:
        return current
    until = add_working_duration(now, policy.progress_pause, tz, calendar)
    return until if current is None or until > current else current


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
        stages.append(Stage(due_at, "overdue", 1, first.notify, first.urgent))
    else:
        stages.append(Stage(due_at, "overdue", 0, None))
    base_level = stages[-1].level
    for offset, step in enumerate(steps, start=1):
        stages.append(Stage(step_time(due_at, step, tz, calendar), "escalated", base_level + offset, step.notify,
                            step.urgent))
    return stages


@dataclass(frozen=True)
class Firing:
    """One notice to send now: stage `index` of the timeline, or a repeat (n >= 1) of the last one."""

    index: int
    stage: Stage
    due: datetime  # when it was due (after any pause): repeats count from it
    repeat: int | None = None


@dataclass(frozen=True)
class Plan:
    fire: list[Firing]
    fired: int  # the follow-up's new `reminder_stage`: stages done, then repeats done
    last_at: datetime | None  # its new `last_stage_at`
    next_at: datetime | None  # its new `next_reminder_at`


def _held(stage: Stage, at: datetime, paused_until: datetime | None) -> datetime:
    return paused_until if paused_until is not None and stage.beyond_owner and paused_until > at else at


def _stage_due(stages: list[Stage], index: int, last_at: datetime | None, paused_until: datetime | None) -> datetime:
    # A stage never comes before the one before it (which may have been held back).
    due = _held(stages[index], stages[index].at, paused_until)
    return last_at if last_at is not None and last_at > due else due


def _repeat_due(last: Stage, last_at: datetime, policy: Policy, tz: str, calendar: WorkingCalendar,
                paused_until: datetime | None) -> datetime:
    return _held(last, add_working_duration(last_at, policy.repeat_every, tz, calendar), paused_until)


def _known_last_at(stages: list[Stage], fired: int, last_at: datetime | None) -> datetime | None:
    # Follow-ups whose stages fired before `last_stage_at` was kept count from the last stage's time.
    if last_at is None and fired and stages:
        return stages[min(fired, len(stages)) - 1].at
    return last_at


def plan(stages: list[Stage], policy: Policy, tz: str, calendar: WorkingCalendar, *, fired: int,
         last_at: datetime | None, paused_until: datetime | None, now: datetime) -> Plan:
    """What to send at `now` for a follow-up that has `fired` stages (and repeats) behind it.

    Stages fire in order, each once; a due-soon notice is skipped once overdue. After the last
    stage, repeats: when several repeat periods have passed unseen (the scanner was down) only the
    latest is sent, and none when the last stage itself is only now being sent; the next repeat
    is then one period after the latest due one, past `now`.
    """
    fire: list[Firing] = []
    last_at = _known_last_at(stages, fired, last_at)
    while fired < len(stages):
        due = _stage_due(stages, fired, last_at, paused_until)
        if due > now:
            return Plan(fire, fired, last_at, due)
        stage = stages[fired]
        if not (stage.kind == "due_soon" and now >= stages[1].at):
            fire.append(Firing(fired, stage, due))
        last_at = due
        fired += 1
    if policy.repeat_every is None or not stages or last_at is None:
        return Plan(fire, fired, last_at, None)
    last = stages[-1]
    due = _repeat_due(last, last_at, policy, tz, calendar, paused_until)
    passed = 0
    while due <= now:
        last_at, passed = due, passed + 1
        due = _repeat_due(last, last_at, policy, tz, calendar, paused_until)
    if passed:
        fired += passed
        if not fire:
            fire.append(Firing(len(stages) - 1, last, last_at, repeat=fired - len(stages)))
    return Plan(fire, fired, last_at, due)


def next_reminder_at(stages: list[Stage], policy: Policy, tz: str, calendar: WorkingCalendar, *, fired: int,
                     last_at: datetime | None, paused_until: datetime | None) -> datetime | None:
    """When the next stage or repeat is due (None: nothing more will fire)."""
    last_at = _known_last_at(stages, fired, last_at)
    if fired < len(stages):
        return _stage_due(stages, fired, last_at, paused_until)
    if policy.repeat_every is None or not stages or last_at is None:
        return None
    return _repeat_due(stages[-1], last_at, policy, tz, calendar, paused_until)


_duration = TypeAdapter(timedelta)
NOTIFY_PATTERN = r"^(owner|owner_parent|puskesmas|agency:[0-9]+)$"


def parse_policy(due_soon_before: str, steps: list[dict[str, Any]], repeat_every: str | None = "P5D",
                 progress_pause: str | None = "P3D") -> Policy:
    """A stored policy (ISO 8601 durations, as in the API; None: never) back into the domain's terms."""
    return Policy(
        due_soon_before=_duration.validate_python(due_soon_before),
        steps=tuple(Step(_duration.validate_python(s["after"]), s["notify"], bool(s.get("working_days", False)),
                         bool(s.get("urgent", False))) for s in steps),
        repeat_every=None if repeat_every is None else _duration.validate_python(repeat_every),
        progress_pause=None if progress_pause is None else _duration.validate_python(progress_pause),
    )
