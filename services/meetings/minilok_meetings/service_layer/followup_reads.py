"""Reading follow-ups: one, a filtered page, and a follow-up's history, as the API shows them."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

import orjson
from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import not_found, unprocessable
from minilok_shared.pagination import Page, decode_cursor, keyset_page, keyset_slice
from sqlalchemy import CompoundSelect, Integer, Select, String, bindparam, cast, func, or_, select, true, union

from minilok_meetings import models
from minilok_meetings.access import check_read_followup, puskesmas_in_area
from minilok_meetings.domain.followup import ACTIVE, STATUSES, is_overdue
from minilok_meetings.schemas import RTL_FIELDS, FollowUpOut


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
            completed_at=f.completed_at, **{name: getattr(f, name) for name in RTL_FIELDS},
            **_local_times(f.acknowledged_at, f.paused_until, f.next_reminder_at, tz),
        ))
    return out


# What reads answer with, in one statement: the follow-up's columns, its puskesmas's timezone and its
# supporting agencies (aggregated in a correlated subquery: string_agg on PostgreSQL, group_concat
# on SQLite). Plain rows, not ORM objects: one round trip a page, no identity map or lazy loads.
FOLLOWUPS = models.FollowUp.__table__
_SUPPORTERS = (select(func.aggregate_strings(cast(models.FollowUpSupporter.agency_id, String), ","))
               .where(models.FollowUpSupporter.followup_id == FOLLOWUPS.c.id).scalar_subquery())
_OUT_COLUMNS = [FOLLOWUPS.c[name] for name in FollowUpOut.model_fields if name in FOLLOWUPS.c]
# Times a person plans by (due, acknowledged, held until, next step) in the puskesmas's own zone.
_LOCAL_TIMES = ("acknowledged_at", "paused_until", "next_reminder_at")
_FIELDS_FROM_ROW = [c.key for c in _OUT_COLUMNS if c.key != "due_at" and c.key not in _LOCAL_TIMES]


def _local_times(acknowledged_at, paused_until, next_reminder_at, tz: ZoneInfo) -> dict:
    return {name: value.astimezone(tz) if value is not None else None
            for name, value in zip(_LOCAL_TIMES, (acknowledged_at, paused_until, next_reminder_at), strict=True)}
READ_QUERY = (select(*_OUT_COLUMNS, models.Puskesmas.timezone, _SUPPORTERS.label("supporters"))
              .join_from(FOLLOWUPS, models.Puskesmas.__table__, models.Puskesmas.id == FOLLOWUPS.c.puskesmas_id))
GET_STATEMENT = READ_QUERY.where(FOLLOWUPS.c.id == bindparam("id"))


# The answer's fields in FollowUpOut's order, so that a dict built here encodes as the model would.
_OUT_FIELDS = tuple(FollowUpOut.model_fields)
# orjson writes a UTC offset as "Z", as pydantic does.
_JSON_OPTIONS = orjson.OPT_UTC_Z


def _item(row, now) -> dict:
    """One row of READ_QUERY as the API shows it (due time in the puskesmas's own timezone)."""
    f = row._mapping
    tz = ZoneInfo(row.timezone)
    computed = {"supporting_agency_ids": sorted(int(a) for a in row.supporters.split(",")) if row.supporters else [],
                "due_at": row.due_at.astimezone(tz), "is_overdue": is_overdue(row.status, row.due_at, now),
                **_local_times(row.acknowledged_at, row.paused_until, row.next_reminder_at, tz)}
    return {name: computed[name] if name in computed else f[name] for name in _OUT_FIELDS}


def rows_out(rows) -> list[FollowUpOut]:
    """Rows of READ_QUERY as FollowUpOut objects (for code that reads their attributes)."""
    now = utcnow()
    return [FollowUpOut.model_construct(**_item(row, now)) for row in rows]


def read_rows(session, query, params: dict | None = None) -> list:
    # Core statement on the session's connection (same transaction): the ORM's execute path
    # adds nothing for plain rows.
    return session.connection().execute(query, params or {}).all()


def read_followups(session, query, params: dict | None = None) -> list[FollowUpOut]:
    return rows_out(read_rows(session, query, params))


def _concerning(agency) -> CompoundSelect:
    """The follow-ups an agency owns, supports or was escalated to: one IN over a UNION, so the
    database reads the agency's few rows through three indexes (an OR of IN-subqueries filtered
    every follow-up instead)."""
    F = FOLLOWUPS.c
    return union(select(F.id).where(F.owner_agency_id == agency),
                 select(models.FollowUpSupporter.followup_id).where(models.FollowUpSupporter.agency_id == agency),
                 select(models.FollowUpEscalation.followup_id).where(models.FollowUpEscalation.agency_id == agency))


# The scope of a list per kind of reader: "admin" (everything), "puskesmas", "agency", "dinas" (the
# puskesmas within its area, named by id) and "dinas_agency" (those, and what its own agency is
# concerned in); "dinas_few" and "dinas_agency_few": the same for an area of at most FEW_PUSKESMAS.
LIST_SCOPES = ("admin", "puskesmas", "agency", "dinas", "dinas_agency", "dinas_few", "dinas_agency_few")
# A dinas over at most this many puskesmas (a kota, a kecamatan) reads the newest follow-ups of
# each through its index and merges them; over more (a provinsi), newest first over all, keeping
# those of its puskesmas. At 10,200 puskesmas and 2 M follow-ups on PostgreSQL
# (bench/access_lists.py), newest-first-over-all took 158-461 ms for one puskesmas and 20-29 ms
# for 20 (it walks the country's newest follow-ups), the per-puskesmas merge 0.9 and 3.4 ms; for
# 300, 3-4 ms against 64-230 ms. The puskesmas are named by id, not by a subquery on the area: the
# planner then knows how many rows they hold (it took 52 puskesmas for 300 and read all their
# active follow-ups, 112 ms, for one page of overdue ones).
FEW_PUSKESMAS = 64


def list_scope(principal: Principal, few: bool = False) -> str:
    if principal.role in ("puskesmas", "agency"):
        return principal.role
    if principal.is_dinas:
        return ("dinas_agency" if principal.agency_id is not None else "dinas") + ("_few" if few else "")
    return "admin"


def scope_params(session, principal: Principal) -> tuple[str, dict]:
    """The reader's LIST_SCOPES entry and the parameters it binds."""
    if principal.role == "puskesmas":
        return "puskesmas", {"principal_puskesmas_id": int(principal.puskesmas_id)}
    params = {"principal_agency_id": int(principal.agency_id)} if principal.agency_id is not None else {}
    if not principal.is_dinas:
        return list_scope(principal), params
    ids = area_puskesmas_ids(session, principal)
    # SQLite has no LATERAL (and a development database no national scale).
    few = len(ids) <= FEW_PUSKESMAS and session.get_bind().dialect.name == "postgresql"
    return list_scope(principal, few), {**params, "area_puskesmas_ids": ids}


def _filters(T, status: bool, owner: bool, puskesmas: bool, meeting: bool, overdue: bool | None,
             due_before: bool, cursor: bool) -> list:
    """The list's filters on the follow-ups table `T` (itself or an alias), with bound parameters."""
    found = []
    if status:
        found.append(T.status == bindparam("status"))
    for column, given in ((T.owner_agency_id, owner), (T.puskesmas_id, puskesmas), (T.meeting_id, meeting)):
        if given:
            found.append(column == bindparam(column.key))
    if overdue is True:
        found += [T.status.in_(ACTIVE), T.due_at < bindparam("now")]
    elif overdue is False:
        found.append(or_(T.status.not_in(ACTIVE), T.due_at >= bindparam("now")))
    if due_before:
        found.append(T.due_at < bindparam("due_before"))
    if cursor:
        found.append(T.id < bindparam("before"))
    return found


def _newest_of_each(filters: tuple) -> Select:
    """The newest `limit` follow-ups (after `filters`) of each puskesmas in `area_puskesmas_ids`:
    one index range per puskesmas (PostgreSQL's LATERAL)."""
    g = FOLLOWUPS.alias("g")
    P = models.Puskesmas.__table__
    newest = (select(g.c.id).where(g.c.puskesmas_id == P.c.id, *_filters(g.c, *filters))
              .order_by(g.c.id.desc()).limit(bindparam("limit", type_=Integer)).lateral("newest"))
    return (select(newest.c.id).select_from(P).join(newest, true())
            .where(P.c.id.in_(bindparam("area_puskesmas_ids", expanding=True))))


@functools.cache
def list_statement(role: str, status: bool, owner: bool, puskesmas: bool, meeting: bool, overdue: bool | None,
                   due_before: bool, cursor: bool) -> Select:
    """The list's statement for one combination of filters, built once with bound parameters
    (building a new statement per request cost as much CPU as running it). `role`: a LIST_SCOPES."""
    F = FOLLOWUPS.c
    filters = (status, owner, puskesmas, meeting, overdue, due_before, cursor)
    query = READ_QUERY.order_by(F.id.desc()).where(*_filters(F, *filters))
    agency = bindparam("principal_agency_id", type_=F.owner_agency_id.type)
    if role == "puskesmas":
        query = query.where(F.puskesmas_id == bindparam("principal_puskesmas_id"))
    elif role == "agency":
        query = query.where(F.id.in_(_concerning(agency)))
    elif role == "dinas":
        query = query.where(F.puskesmas_id.in_(bindparam("area_puskesmas_ids", expanding=True)))
    elif role == "dinas_agency":
        query = query.where(or_(F.puskesmas_id.in_(bindparam("area_puskesmas_ids", expanding=True)),
                                F.id.in_(_concerning(agency))))
    elif role == "dinas_few":
        query = query.where(F.id.in_(_newest_of_each(filters)))
    elif role == "dinas_agency_few":
        query = query.where(F.id.in_(union(_newest_of_each(filters), _concerning(agency))))
    return query.limit(bindparam("limit", type_=Integer))


def area_puskesmas_ids(session, principal: Principal) -> list[int]:
    """The puskesmas a dinas reads (the puskesmas table is small: ~10,000 rows in the country)."""
    return list(session.scalars(puskesmas_in_area(principal.area_code)))


def _page_rows(session, principal: Principal, status_: str | None, owner_agency_id: int | None,
               puskesmas_id: int | None, meeting_id: int | None, overdue: bool | None, due_before,
               limit: int, cursor: str | None) -> list:
    """Up to `limit + 1` rows of READ_QUERY (the extra one says whether there is more)."""
    if status_ is not None and status_ not in STATUSES:
        raise unprocessable("status", f"harus salah satu dari / must be one of {', '.join(STATUSES)}", "query")
    scope, scoped = scope_params(session, principal)
    params = {"status": status_, "owner_agency_id": owner_agency_id, "puskesmas_id": puskesmas_id,
              "meeting_id": meeting_id, "due_before": due_before, "limit": limit + 1, "now": utcnow(), **scoped}
    if cursor:
        (params["before"],) = decode_cursor(cursor)
    query = list_statement(scope, status_ is not None, owner_agency_id is not None, puskesmas_id is not None,
                           meeting_id is not None, overdue, due_before is not None, bool(cursor))
    return read_rows(session, query, params)


def find_followups(session, principal: Principal, status_: str | None = None, owner_agency_id: int | None = None,
                   puskesmas_id: int | None = None, meeting_id: int | None = None, overdue: bool | None = None,
                   due_before=None, limit: int = 50, cursor: str | None = None) -> Page[FollowUpOut]:
    """One page of the follow-ups `principal` may read, newest first (a filter outside what it may
    read answers an empty page, as for a puskesmas asking for another's)."""
    rows = _page_rows(session, principal, status_, owner_agency_id, puskesmas_id, meeting_id, overdue, due_before,
                      limit, cursor)
    return keyset_page(rows_out(rows), limit)


def find_followups_json(session, principal: Principal, status_: str | None = None,
                        owner_agency_id: int | None = None, puskesmas_id: int | None = None,
                        meeting_id: int | None = None, overdue: bool | None = None, due_before=None,
                        limit: int = 50, cursor: str | None = None) -> bytes:
    """`find_followups` as the API's JSON body, encoded once from the rows (no model objects)."""
    rows = _page_rows(session, principal, status_, owner_agency_id, puskesmas_id, meeting_id, overdue, due_before,
                      limit, cursor)
    items, next_cursor = keyset_slice(rows, limit)
    now = utcnow()
    return orjson.dumps({"items": [_item(row, now) for row in items], "next_cursor": next_cursor},
                        option=_JSON_OPTIONS)


def load_followup(session, followup_id: int, *, for_update: bool = False) -> models.FollowUp:
    followup = session.get(models.FollowUp, followup_id, with_for_update=for_update or None)
    if followup is None:
        raise not_found("Tindak lanjut / follow-up", followup_id)
    return followup


def _readable_item(session, principal: Principal, followup_id: int) -> dict:
    rows = read_rows(session, GET_STATEMENT, {"id": followup_id})
    if not rows:
        raise not_found("Tindak lanjut / follow-up", followup_id)
    item = _item(rows[0], utcnow())
    check_read_followup(principal, FollowUpOut.model_construct(**item), session)
    return item


def fetch_followup(session, principal: Principal, followup_id: int) -> FollowUpOut:
    """One follow-up as the API shows it, if `principal` may read it."""
    return FollowUpOut.model_construct(**_readable_item(session, principal, followup_id))


def fetch_followup_json(session, principal: Principal, followup_id: int) -> bytes:
    """`fetch_followup` as the API's JSON body, encoded once."""
    return orjson.dumps(_readable_item(session, principal, followup_id), option=_JSON_OPTIONS)


def followup_history(session, principal: Principal, followup_id: int, limit: int = 50,
                     cursor: str | None = None) -> Page[models.FollowUpHistory]:
    """A follow-up's history, oldest first."""
    check_read_followup(principal, load_followup(session, followup_id))
    History = models.FollowUpHistory
    query = select(History).where(History.followup_id == followup_id).order_by(History.id)
    if cursor:
        (after,) = decode_cursor(cursor)
        query = query.where(History.id > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)
