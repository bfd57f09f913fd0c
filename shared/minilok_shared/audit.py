"""Audit log: every change made through a service's API, with who, when, before and after.

Generic on purpose: a listener on the app's sessions turns each flushed insert, update and delete
of a mapped object into an `audit_log` row, written on the same connection and so in the same
transaction as the change (a rolled-back change leaves no audit row). Changes made by background
work (event handlers, scans, delivery attempts) carry no caller and are not audited here: the
follow-up history and the delivery attempts record those.
"""

from __future__ import annotations

import base64
import enum
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Column, Index, MetaData, String, Table, event, insert, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from minilok_shared.auth import Principal
from minilok_shared.db import BigId, UTCDateTime, utcnow
from minilok_shared.deps import SessionDep, require_roles
from minilok_shared.pagination import LimitQuery, Page, decode_cursor, keyset_page

REQUEST_KEY = "minilok_request"


def audit_table(metadata: MetaData) -> Table:
    table = Table(
        "audit_log",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("at", UTCDateTime, nullable=False),
        Column("actor", String(200), nullable=False),
        Column("actor_role", String(20), nullable=False),
        Column("action", String(10), nullable=False),  # insert | update | delete
        Column("entity", String(100), nullable=False),  # the table name
        Column("entity_id", String(100), nullable=False),
        Column("before", JSON, nullable=True),
        Column("after", JSON, nullable=True),
    )
    Index("ix_audit_log_entity", table.c.entity, table.c.entity_id, table.c.id)
    return table


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


_HIDDEN = ("secret", "password")  # a change to these is logged as "[hidden]", never the value
_WRITTEN = "minilok_audit_written"


def _value(key: str, value: Any) -> Any:
    if value is not None and any(word in key for word in _HIDDEN):
        return "[hidden]"
    return _plain(value)


def _change(state, action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if action == "insert":
            after[key] = _value(key, getattr(state.obj(), key))
        elif action == "delete":
            before[key] = _value(key, getattr(state.obj(), key))
        else:
            history = state.attrs[key].history
            if history.has_changes():
                before[key] = _value(key, history.deleted[0] if history.deleted else None)
                after[key] = _value(key, history.added[0] if history.added else None)
    return before, after


def install(factory: sessionmaker, table: Table, skip: frozenset[str] = frozenset()) -> None:
    """Audit every session of `factory` opened for an API request whose caller is known.

    One row per object per transaction: when a request flushes the same object twice, the row
    written at the first flush is updated (the earliest `before`, the latest `after`)."""

    def after_flush(session: Session, _context) -> None:
        request = session.info.get(REQUEST_KEY)
        principal: Principal | None = getattr(request.state, "principal", None) if request is not None else None
        if principal is None:
            return
        written: dict[tuple[str, str], tuple[int, dict[str, Any]]] = session.info.setdefault(_WRITTEN, {})
        connection = session.connection()
        inserts: list[tuple[tuple[str, str], dict[str, Any]]] = []  # written in one statement below
        for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in objects:
                state = inspect(obj)
                entity = state.mapper.local_table.name
                if entity in skip:
                    continue
                before, after = _change(state, action)
                key = (entity, ",".join(str(v) for v in state.mapper.primary_key_from_instance(obj))[:100])
                if key in written:
                    audit_id, row = written[key]
                    merged_before = {**before, **(row["before"] or {})}
                    merged_after = {**(row["after"] or {}), **after}
                    if row["action"] == "update":
                        unchanged = [k for k in merged_after if merged_before.get(k) == merged_after[k]]
                        for k in unchanged:
                            merged_before.pop(k, None)
                            merged_after.pop(k)
                    row = {**row, "action": "delete" if action == "delete" else row["action"],
                           "before": merged_before or None, "after": merged_after or None}
                    connection.execute(update(table).where(table.c.id == audit_id)
                                       .values(action=row["action"], before=row["before"], after=row["after"]))
                    written[key] = (audit_id, row)
                    continue
                if action == "update" and not after:
                    continue  # touched but unchanged
                row = {"at": utcnow(), "actor": principal.subject[:200], "actor_role": principal.role,
                       "action": action, "entity": entity, "entity_id": key[1], "before": before or None,
                       "after": after or None}
                inserts.append((key, row))
        if inserts:
            # One round trip for the flush's new audit rows (a follow-up with its supporters and
            # history was four), their ids in order for a later flush of the same objects.
            ids = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                     [row for _, row in inserts]).scalars().all()
            for (key, row), audit_id in zip(inserts, ids, strict=True):
                written[key] = (audit_id, row)

    def forget(session: Session, *_args) -> None:
        session.info.pop(_WRITTEN, None)

    event.listen(factory, "after_flush", after_flush)
    event.listen(factory, "after_commit", forget)
    event.listen(factory, "after_soft_rollback", forget)


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


AdminOnly = Annotated[Principal, require_roles("admin")]


def audit_router(table: Table) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get("/audit", response_model=Page[AuditEntry])
    def list_audit(session: SessionDep, _admin: AdminOnly,
                   entity: Annotated[str | None, Query(
                       max_length=100, description="Table name, e.g. followups")] = None,
                   entity_id: Annotated[str | None, Query(max_length=100)] = None,
                   limit: int = LimitQuery, cursor: str | None = None):
        """Newest first; admins only."""
        query = select(table).order_by(table.c.id.desc())
        if entity is not None:
            query = query.where(table.c.entity == entity)
        if entity_id is not None:
            query = query.where(table.c.entity_id == entity_id)
        if cursor:
            (before,) = decode_cursor(cursor)
            query = query.where(table.c.id < before)
        rows = session.execute(query.limit(limit + 1)).mappings().all()
        return keyset_page([AuditEntry.model_validate(dict(r)) for r in rows], limit)

    return router
