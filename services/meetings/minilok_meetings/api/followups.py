import functools
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status
from fastapi.concurrency import run_in_threadpool
from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.deps import CurrentPrincipal, SessionDep, read_in_thread
from minilok_shared.errors import conflict, not_found, unprocessable
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page
from minilok_shared.validation import Instant
from sqlalchemy import Integer, Select, String, bindparam, cast, func, or_, select

from minilok_meetings import models, reminders
from minilok_meetings.api.access import check_owner_or_manager, check_puskesmas, check_read_followup
from minilok_meetings.api.schemas import (
    CompleteIn,
    FollowUpCreate,
    FollowUpOut,
    FollowUpPatch,
    HistoryOut,
    ProgressIn,
    ReasonIn,
)
from minilok_meetings.domain.calendar import end_of_local_day
from minilok_meetings.domain.followup import (
    ACTIVE,
    STATUSES,
    IllegalTransition,
    is_overdue,
    next_status,
    resolve_due_at,
)
from minilok_meetings.events import emit_followup_event

router = APIRouter(tags=["follow-ups"])


def followups_out(session, followups: list[models.FollowUp],
                  zones: dict[int, str] | None = None) -> list[FollowUpOut]:
    """Render follow-ups with due times in their puskesmas's own timezone (one query for all,
    none when the caller knows the `zones`)."""
    ids = {f.puskesmas_id for f in followups} - set(zones or ())
    zones = {**(zones or {}), **(dict(session.execute(select(models.Puskesmas.id, models.Puskesmas.timezone)
                                                      .where(models.Puskesmas.id.in_(ids))).all()) if ids else {})}
    now = utcnow()
    out = []
    for f in followups:
        tz = ZoneInfo(zones[f.puskesmas_id])
        out.append(FollowUpOut(
            id=f.id, meeting_id=f.meeting_id, puskesmas_id=f.puskesmas_id, title=f.title, action=f.action,
            problem=f.problem, owner_agency_id=f.owner_agency_id, supporting_agency_ids=f.supporting_agency_ids,
            due_at=f.due_at.astimezone(tz), status=f.status, is_overdue=is_overdue(f.status, f.due_at, now),
            escalation_level=f.escalation_level, percent=f.percent, priority=f.priority, area_code=f.area_code,
            indicator_code=f.indicator_code, created_at=f.created_at, updated_at=f.updated_at,
            completed_at=f.completed_at,
        ))
    return out


# What reads answer with, in one statement: the follow-up's columns, its puskesmas's timezone and its
# supporting agencies (aggregated in a correlated subquery: string_agg on PostgreSQL, group_concat
# on SQLite). Plain rows, not ORM objects: a page of 50 costs one round trip and no identity map,
# unit of work or lazy loads (the ORM path took three queries and ~4x the CPU).
_F = models.FollowUp.__table__
_SUPPORTERS = (select(func.aggregate_strings(cast(models.FollowUpSupporter.agency_id, String), ","))
               .where(models.FollowUpSupporter.followup_id == _F.c.id).scalar_subquery())
_OUT_COLUMNS = [_F.c[name] for name in FollowUpOut.model_fields if name in _F.c]
READ_QUERY = (select(*_OUT_COLUMNS, models.Puskesmas.timezone, _SUPPORTERS.label("supporters"))
              .join_from(_F, models.Puskesmas.__table__, models.Puskesmas.id == _F.c.puskesmas_id))


def rows_out(rows) -> list[FollowUpOut]:
    """Rows of READ_QUERY as the API shows them (due time in the puskesmas's own timezone)."""
    now = utcnow()
    out = []
    for row in rows:
        f = row._mapping
        supporters = sorted(int(a) for a in row.supporters.split(",")) if row.supporters else []
        out.append(FollowUpOut.model_construct(
            **{name: f[name] for name in _FIELDS_FROM_ROW}, supporting_agency_ids=supporters,
            due_at=row.due_at.astimezone(ZoneInfo(row.timezone)), is_overdue=is_overdue(row.status, row.due_at, now),
        ))
    return out


_FIELDS_FROM_ROW = [c.key for c in _OUT_COLUMNS if c.key != "due_at"]


def _check_agencies(session, puskesmas_id: int, *fields: tuple[str, int]) -> None:
    """Each (field, agency id) names an agency of this puskesmas, or one shared by all (one query);
    the first that does not is the 422's field."""
    ids = {agency_id for _, agency_id in fields}
    found = dict(session.execute(select(models.Agency.id, models.Agency.puskesmas_id)
                                 .where(models.Agency.id.in_(ids))).all()) if ids else {}
    for field, agency_id in fields:
        if agency_id not in found or found[agency_id] not in (None, puskesmas_id):
            raise unprocessable(field, f"lembaga {agency_id} tidak ada di puskesmas ini / "
                                       "agency not found for this puskesmas")


@router.post("/meetings/{meeting_id}/follow-ups", status_code=status.HTTP_201_CREATED, response_model=FollowUpOut)
async def create_followup(meeting_id: int, body: FollowUpCreate, session: SessionDep, principal: CurrentPrincipal):
    # The whole write in one thread hop; the answer is validated and serialized on the event loop.
    return await run_in_threadpool(add_followup, meeting_id, body, session, principal)


def add_followup(meeting_id: int, body: FollowUpCreate, session, principal: Principal) -> FollowUpOut:
    meeting = session.get(models.Meeting, meeting_id)
    if meeting is None:
        raise not_found("Rapat / meeting", meeting_id)
    check_puskesmas(principal, meeting.puskesmas_id)
    puskesmas_id = meeting.puskesmas_id
    supporters = list(dict.fromkeys(body.supporting_agency_ids))
    _check_agencies(session, puskesmas_id, ("owner_agency_id", body.owner_agency_id),
                    *(("supporting_agency_ids", a) for a in supporters))
    ctx = reminders.load_contexts(session, {puskesmas_id})[puskesmas_id]
    due_at = resolve_due_at(
        tz=ctx.timezone, now=utcnow(), calendar=ctx.calendar,
        due_date=body.due_date, due_at=body.due_at, due_in_working_days=body.due_in_working_days,
    )
    followup = models.FollowUp(
        meeting_id=meeting.id, puskesmas_id=puskesmas_id, title=body.title, action=body.action,
        problem=body.problem, owner_agency_id=body.owner_agency_id, due_at=due_at,
        area_code=body.area_code or None, indicator_code=body.indicator_code, priority=body.priority,
        status="open", escalation_level=0, reminder_stage=0, percent=0,
        supporters=[models.FollowUpSupporter(agency_id=a) for a in supporters],
    )
    reminders.schedule(followup, ctx)
    session.add(followup)
    session.flush()
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="created",
                                       data={"status": "open", "due_at": due_at.isoformat()}))
    emit_followup_event(session, "followup.created", followup, actor=principal.subject)
    session.commit()
    return followups_out(session, [followup], {puskesmas_id: ctx.timezone})[0]


def read_followups(session, query, params: dict | None = None) -> list[FollowUpOut]:
    # Core statement on the session's connection (same transaction): the ORM's execute path
    # adds nothing for plain rows.
    return rows_out(session.connection().execute(query, params or {}).all())


@functools.cache
def list_statement(role: str, status: bool, owner: bool, puskesmas: bool, meeting: bool, overdue: bool | None,
                   due_before: bool, cursor: bool) -> Select:
    """The list's statement for one combination of filters, built once with bound parameters:
    building and cache-keying a new statement per request cost as much CPU as running it."""
    F = _F.c
    query = READ_QUERY.order_by(F.id.desc())
    if role == "puskesmas":
        query = query.where(F.puskesmas_id == bindparam("principal_puskesmas_id"))
    elif role == "agency":
        agency = bindparam("principal_agency_id", type_=F.owner_agency_id.type)
        supported = select(models.FollowUpSupporter.followup_id).where(models.FollowUpSupporter.agency_id == agency)
        query = query.where(or_(F.owner_agency_id == agency, F.id.in_(supported)))
    if status:
        query = query.where(F.status == bindparam("status"))
    for column, given in ((F.owner_agency_id, owner), (F.puskesmas_id, puskesmas), (F.meeting_id, meeting)):
        if given:
            query = query.where(column == bindparam(column.key))
    if overdue is True:
        query = query.where(F.status.in_(ACTIVE), F.due_at < bindparam("now"))
    elif overdue is False:
        query = query.where(or_(F.status.not_in(ACTIVE), F.due_at >= bindparam("now")))
    if due_before:
        query = query.where(F.due_at < bindparam("due_before"))
    if cursor:
        query = query.where(F.id < bindparam("before"))
    return query.limit(bindparam("limit", type_=Integer))


GET_STATEMENT = READ_QUERY.where(_F.c.id == bindparam("id"))


@router.get("/follow-ups", response_model=Page[FollowUpOut])
async def list_followups(
    session: SessionDep,
    principal: CurrentPrincipal,
    status_: str | None = Query(None, alias="status", description="open, in_progress, done or cancelled"),
    owner_agency_id: int | None = None,
    puskesmas_id: int | None = None,
    meeting_id: int | None = None,
    overdue: bool | None = None,
    due_before: Instant | None = None,
    limit: int = LimitQuery,
    cursor: str | None = None,
):
    return await read_in_thread(session, find_followups, session, principal, status_, owner_agency_id, puskesmas_id,
                                meeting_id, overdue, due_before, limit, cursor)


def find_followups(session, principal: Principal, status_: str | None = None, owner_agency_id: int | None = None,
                   puskesmas_id: int | None = None, meeting_id: int | None = None, overdue: bool | None = None,
                   due_before=None, limit: int = 50, cursor: str | None = None) -> Page[FollowUpOut]:
    """One page of the follow-ups `principal` may read (blocking; the dashboard calls it directly)."""
    if status_ is not None and status_ not in STATUSES:
        raise unprocessable("status", f"harus salah satu dari / must be one of {', '.join(STATUSES)}", "query")
    params = {"status": status_, "owner_agency_id": owner_agency_id, "puskesmas_id": puskesmas_id,
              "meeting_id": meeting_id, "due_before": due_before, "limit": limit + 1, "now": utcnow()}
    role = principal.role if principal.role in ("puskesmas", "agency") else "admin"
    if role == "puskesmas":
        params["principal_puskesmas_id"] = int(principal.puskesmas_id)
    elif role == "agency":
        params["principal_agency_id"] = int(principal.agency_id)
    if cursor:
        (params["before"],) = decode_cursor(cursor)
    query = list_statement(role, status_ is not None, owner_agency_id is not None, puskesmas_id is not None,
                           meeting_id is not None, overdue, due_before is not None, bool(cursor))
    return keyset_page(read_followups(session, query, params), limit)


def load_followup(session, followup_id: int, *, for_update: bool = False) -> models.FollowUp:
    followup = session.get(models.FollowUp, followup_id, with_for_update=for_update or None)
    if followup is None:
        raise not_found("Tindak lanjut / follow-up", followup_id)
    return followup


@router.get("/follow-ups/{followup_id}", response_model=FollowUpOut)
async def get_followup(followup_id: int, session: SessionDep, principal: CurrentPrincipal):
    return await read_in_thread(session, fetch_followup, session, principal, followup_id)


def fetch_followup(session, principal: Principal, followup_id: int) -> FollowUpOut:
    """One follow-up as the API shows it, if `principal` may read it (blocking)."""
    found = read_followups(session, GET_STATEMENT, {"id": followup_id})
    if not found:
        raise not_found("Tindak lanjut / follow-up", followup_id)
    check_read_followup(principal, found[0])
    return found[0]


@router.get("/follow-ups/{followup_id}/history", response_model=Page[HistoryOut])
def followup_history(followup_id: int, session: SessionDep, principal: CurrentPrincipal,
                     limit: int = LimitQuery, cursor: str | None = None):
    check_read_followup(principal, load_followup(session, followup_id))
    History = models.FollowUpHistory
    query = select(History).where(History.followup_id == followup_id).order_by(History.id)
    if cursor:
        (after,) = decode_cursor(cursor)
        query = query.where(History.id > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)


# --- changes ---------------------------------------------------------------------------------

EVENT_FOR_ACTION = {"start": "followup.updated", "complete": "followup.completed", "cancel": "followup.cancelled",
                    "reopen": "followup.reopened"}


def _move(session, principal: Principal, followup: models.FollowUp, action: str, data: dict) -> FollowUpOut:
    """Apply one status-machine move, record it and emit its event, in one transaction."""
    previous = followup.status
    try:
        followup.status = next_status(previous, action)
    except IllegalTransition as exc:
        raise conflict(str(exc)) from exc
    now = utcnow()
    if followup.status == "done":
        followup.completed_at = now
        followup.percent = 100
    elif action == "reopen":
        followup.completed_at = None
    ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
    reminders.schedule(followup, ctx)  # done or cancelled: nothing more fires; reopened: resumes
    followup.updated_at = now
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind=action,
                                       data={"from": previous, "to": followup.status, **data}))
    emit_followup_event(session, EVENT_FOR_ACTION[action], followup, previous_status=previous,
                        actor=principal.subject)
    session.commit()
    return followups_out(session, [followup])[0]


@router.post("/follow-ups/{followup_id}/start", response_model=FollowUpOut)
def start_followup(followup_id: int, session: SessionDep, principal: CurrentPrincipal):
    followup = load_followup(session, followup_id, for_update=True)
    check_owner_or_manager(principal, followup)
    return _move(session, principal, followup, "start", {})


@router.post("/follow-ups/{followup_id}/progress", response_model=FollowUpOut)
def post_progress(followup_id: int, body: ProgressIn, session: SessionDep, principal: CurrentPrincipal):
    followup = load_followup(session, followup_id, for_update=True)
    check_owner_or_manager(principal, followup)
    if followup.status not in ACTIVE:
        raise conflict(f"Tindak lanjut berstatus {followup.status}; laporan kemajuan hanya untuk yang aktif / "
                       f"progress only on open or in-progress follow-ups")
    previous = followup.status
    if previous == "open":
        followup.status = "in_progress"  # reporting progress means the work has started
    if body.percent is not None:
        followup.percent = body.percent
    followup.updated_at = utcnow()
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="progress",
                                       data=body.model_dump(exclude_none=True)))
    emit_followup_event(session, "followup.updated", followup,
                        previous_status=previous if previous != followup.status else None, actor=principal.subject)
    session.commit()
    return followups_out(session, [followup])[0]


@router.post("/follow-ups/{followup_id}/complete", response_model=FollowUpOut)
def complete_followup(followup_id: int, body: CompleteIn, session: SessionDep, principal: CurrentPrincipal):
    followup = load_followup(session, followup_id, for_update=True)
    check_owner_or_manager(principal, followup)
    return _move(session, principal, followup, "complete", body.model_dump(exclude_none=True))


@router.post("/follow-ups/{followup_id}/cancel", response_model=FollowUpOut)
def cancel_followup(followup_id: int, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal):
    followup = load_followup(session, followup_id, for_update=True)
    check_puskesmas(principal, followup.puskesmas_id)
    return _move(session, principal, followup, "cancel", body.model_dump())


@router.post("/follow-ups/{followup_id}/reopen", response_model=FollowUpOut)
def reopen_followup(followup_id: int, body: ReasonIn, session: SessionDep, principal: CurrentPrincipal):
    followup = load_followup(session, followup_id, for_update=True)
    check_puskesmas(principal, followup.puskesmas_id)
    return _move(session, principal, followup, "reopen", body.model_dump())


@router.patch("/follow-ups/{followup_id}", response_model=FollowUpOut)
def patch_followup(followup_id: int, body: FollowUpPatch, session: SessionDep, principal: CurrentPrincipal):
    followup = load_followup(session, followup_id, for_update=True)
    check_puskesmas(principal, followup.puskesmas_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise unprocessable("body", "tidak ada perubahan / nothing to change")
    ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
    before = {"due_at": followup.due_at.isoformat(), "owner_agency_id": followup.owner_agency_id,
              "priority": followup.priority, "title": followup.title}
    if "owner_agency_id" in changes:
        _check_agencies(session, followup.puskesmas_id, ("owner_agency_id", body.owner_agency_id))
        followup.owner_agency_id = body.owner_agency_id
    if "priority" in changes:
        followup.priority = body.priority
    if "title" in changes:
        followup.title = body.title
    new_due = body.due_at or (end_of_local_day(body.due_date, ctx.timezone) if body.due_date else None)
    if new_due is not None:
        followup.due_at = new_due
        reminders.reset(followup, ctx)  # rescheduling restarts the reminders and escalation
    followup.updated_at = utcnow()
    after = {"due_at": followup.due_at.isoformat(), "owner_agency_id": followup.owner_agency_id,
             "priority": followup.priority, "title": followup.title}
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="updated",
                                       data={"before": {k: v for k, v in before.items() if after[k] != v},
                                             "after": {k: v for k, v in after.items() if before[k] != v}}))
    emit_followup_event(session, "followup.updated", followup, actor=principal.subject)
    session.commit()
    return followups_out(session, [followup])[0]
