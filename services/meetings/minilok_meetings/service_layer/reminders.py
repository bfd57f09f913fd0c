"""Due-soon reminders, overdue notices and escalation: scheduling each follow-up's next stage,
and the scan that fires the stages whose time has come.

Exactly once: a stage (or a repeat of the last one) fires in the same transaction that advances
`reminder_stage` (stages, then repeats), and the scan claims rows with `FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite serialises writers), so however many workers scan at once, each (follow-up,
stage or repeat, due time) fires once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from minilok_shared.db import insert_on_conflict, utcnow
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from minilok_meetings import models
from minilok_meetings.domain import escalation
from minilok_meetings.domain.calendar import WorkingCalendar
from minilok_meetings.domain.escalation import DEFAULT_POLICY, Policy, Stage, parse_policy, timeline
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.events import Names, emit_followup_event

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:scheduler"


def policy_from_row(row: models.EscalationPolicy | None) -> Policy:
    if row is None:
        return DEFAULT_POLICY
    return parse_policy(row.due_soon_before, row.steps, row.repeat_every, row.progress_pause)


@dataclass
class PuskesmasContext:
    """What scheduling needs to know about a puskesmas, loaded once per batch."""

    timezone: str
    calendar: WorkingCalendar
    policy: Policy


def load_contexts(session: Session, puskesmas_ids: set[int]) -> dict[int, PuskesmasContext]:
    if not puskesmas_ids:
        return {}
    rows = session.scalars(select(models.Puskesmas).where(models.Puskesmas.id.in_(puskesmas_ids))).all()
    policies = {p.puskesmas_id: p for p in session.scalars(
        select(models.EscalationPolicy).where(models.EscalationPolicy.puskesmas_id.in_(puskesmas_ids)))}
    return {p.id: PuskesmasContext(p.timezone, WorkingCalendar(p.extra_holidays), policy_from_row(policies.get(p.id)))
            for p in rows}


def stages_for(followup: models.FollowUp, ctx: PuskesmasContext) -> list[Stage]:
    return timeline(followup.due_at, ctx.policy, ctx.timezone, ctx.calendar)


def schedule(followup: models.FollowUp, ctx: PuskesmasContext) -> None:
    """Set when the scan should next look at this follow-up (None once nothing is left)."""
    if followup.status not in ACTIVE:
        followup.next_reminder_at = None
        return
    followup.next_reminder_at = escalation.next_reminder_at(
        stages_for(followup, ctx), ctx.policy, ctx.timezone, ctx.calendar, fired=followup.reminder_stage,
        last_at=followup.last_stage_at, paused_until=followup.paused_until)


def reset(followup: models.FollowUp, ctx: PuskesmasContext) -> None:
    """A new due time starts the ladder again, with no pause and no repeats behind it."""
    followup.reminder_stage = 0
    followup.escalation_level = 0
    followup.paused_until = None
    followup.last_stage_at = None
    schedule(followup, ctx)


def hold(followup: models.FollowUp, ctx: PuskesmasContext, now: datetime) -> None:
    """An acknowledgement or progress note at `now`: escalation beyond the owner waits for the
    policy's `progress_pause` (reminders to the owner do not)."""
    followup.paused_until = escalation.pause_until(now, ctx.policy, ctx.timezone, ctx.calendar,
                                                   followup.paused_until)
    schedule(followup, ctx)


@dataclass
class AgencyDirectory:
    """Agencies needed to resolve escalation targets in a batch, loaded with few queries."""

    session: Session
    by_id: dict[int, models.Agency] = field(default_factory=dict)
    heads: dict[int, list[int]] = field(default_factory=dict)

    def load(self, ids: set[int]) -> None:
        missing = {i for i in ids if i not in self.by_id}
        while missing:
            rows = self.session.scalars(select(models.Agency).where(models.Agency.id.in_(missing))).all()
            for row in rows:
                self.by_id[row.id] = row
            missing = {r.parent_id for r in rows if r.parent_id and r.parent_id not in self.by_id}

    def load_heads(self, puskesmas_ids: set[int]) -> None:
        """The puskesmas itself (as an agency) and the dinas kesehatan above it."""
        todo = puskesmas_ids - self.heads.keys()
        if not todo:
            return
        rows = self.session.scalars(select(models.Agency).where(
            models.Agency.puskesmas_id.in_(todo), models.Agency.kind.in_(("puskesmas", "dinas_kesehatan")))).all()
        self.load({r.parent_id for r in rows if r.parent_id})
        for pid in todo:
            heads = []
            for row in rows:
                if row.puskesmas_id != pid:
                    continue
                heads.append(row.id)
                parent = self.by_id.get(row.parent_id) if row.parent_id else None
                if row.kind == "puskesmas" and parent is not None and parent.kind == "dinas_kesehatan":
                    heads.append(parent.id)
            self.heads[pid] = sorted(set(heads))

    def ancestor(self, agency_id: int, depth: int) -> int | None:
        current = self.by_id.get(agency_id)
        for _ in range(depth):
            if current is None or current.parent_id is None:
                return None
            current = self.by_id.get(current.parent_id)
        return current.id if current else None

    def targets(self, followup: models.FollowUp, stages: list[Stage], index: int) -> list[int]:
        stage = stages[index]
        notify = stage.notify or "owner"
        if notify == "owner":
            return [followup.owner_agency_id]
        if notify.startswith("agency:"):
            return [int(notify.split(":", 1)[1])]
        if notify == "owner_parent":
            # Each owner_parent step climbs one more level up the owner's chain.
            depth = sum(1 for s in stages[: index + 1] if s.notify == "owner_parent")
            parent = self.ancestor(followup.owner_agency_id, depth)
            if parent is not None:
                return [parent]
        # "puskesmas", or a chain that ends: the puskesmas head and the dinas kesehatan.
        return self.heads.get(followup.puskesmas_id, [])


def batch_names(session: Session, followups: list[models.FollowUp], contexts: dict[int, PuskesmasContext],
                directory: AgencyDirectory) -> Names:
    """Every name the batch's events carry, in a few queries for the whole batch (never one per
    follow-up): owners, supporters, whoever a step may notify, and the puskesmas."""
    agency_ids = {a for f in followups for a in (f.owner_agency_id, *f.supporting_agency_ids)}
    agency_ids.update(a for heads in directory.heads.values() for a in heads)
    agency_ids.update(int(step.notify.split(":", 1)[1]) for ctx in contexts.values() for step in ctx.policy.steps
                      if step.notify.startswith("agency:"))
    return Names().know_agencies(directory.by_id.values()).load(session, contexts.keys(), agency_ids)


EVENT_FOR_STAGE = {"due_soon": "followup.due_soon", "overdue": "followup.overdue", "escalated": "followup.escalated"}


def fire_due_stages(session: Session, followups: list[models.FollowUp], now: datetime) -> int:
    """Fire every stage (and repeat of the last one) whose time has come for these follow-ups;
    returns events emitted.

    The follow-ups are never made dirty (an attribute the events carry is set as if loaded) and
    are written back with one bulk UPDATE, one bulk INSERT of history and one of the agencies
    escalated to: this is the hot path when thousands fall due at the same minute.
    """
    contexts = load_contexts(session, {f.puskesmas_id for f in followups})
    directory = AgencyDirectory(session)
    directory.load({f.owner_agency_id for f in followups})
    directory.load_heads({f.puskesmas_id for f in followups})
    names = batch_names(session, followups, contexts, directory)
    updates, history, escalated = [], [], {}
    emitted = 0
    for followup in followups:
        ctx = contexts[followup.puskesmas_id]
        stages = stages_for(followup, ctx)
        plan = escalation.plan(stages, ctx.policy, ctx.timezone, ctx.calendar, fired=followup.reminder_stage,
                               last_at=followup.last_stage_at, paused_until=followup.paused_until, now=now)
        for firing in plan.fire:
            stage = firing.stage
            targets = directory.targets(followup, stages, firing.index) if stage.kind != "due_soon" else None
            if stage.kind != "due_soon":
                # Seen by the event, never flushed: the bulk UPDATE below writes it.
                set_committed_value(followup, "escalation_level", stage.level)
            kind = "escalated" if firing.repeat else stage.kind
            emit_followup_event(session, EVENT_FOR_STAGE[kind], followup, names, escalated_to_agency_ids=targets,
                                repeat=firing.repeat, urgent=True if stage.urgent else None, actor=SYSTEM_ACTOR)
            data = {"escalation_level": followup.escalation_level, "escalated_to_agency_ids": targets,
                    "due_at": followup.due_at.isoformat()}
            history.append({"followup_id": followup.id, "at": now, "actor": SYSTEM_ACTOR, "kind": kind,
                            "data": {**data, "repeat": firing.repeat} if firing.repeat else data})
            for agency_id in targets or ():
                if agency_id != followup.owner_agency_id:  # the owner reads its own follow-up anyway
                    escalated[(followup.id, agency_id)] = {"followup_id": followup.id, "agency_id": agency_id,
                                                           "level": followup.escalation_level, "at": now}
            emitted += 1
        updates.append({"id": followup.id, "reminder_stage": plan.fired, "escalation_level": followup.escalation_level,
                        "last_stage_at": plan.last_at, "next_reminder_at": plan.next_at})
    if updates:
        session.execute(update(models.FollowUp), updates)
    if history:
        session.execute(insert(models.FollowUpHistory), history)
    if escalated:
        session.execute(insert_on_conflict(session, models.FollowUpEscalation.__table__).on_conflict_do_nothing(),
                        list(escalated.values()))
    return emitted


def scan(sessions: sessionmaker[Session], now: datetime | None = None, batch_size: int = 500,
         max_seconds: float = 50.0) -> dict[str, int]:
    """Fire what is due, batch by batch, each batch in its own transaction."""
    started = utcnow()
    now = now or started
    totals = {"followups": 0, "events": 0}
    while (utcnow() - started) < timedelta(seconds=max_seconds):
        with sessions() as session, session.begin():
            query = (select(models.FollowUp)
                     .where(models.FollowUp.next_reminder_at <= now, models.FollowUp.status.in_(ACTIVE))
                     .order_by(models.FollowUp.next_reminder_at)
                     .limit(batch_size))
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            batch = session.scalars(query).all()
            if not batch:
                break
            totals["events"] += fire_due_stages(session, list(batch), now)
            totals["followups"] += len(batch)
    if totals["followups"]:
        log.info("reminder scan: %(followups)d follow-ups, %(events)d events", totals)
    return totals

