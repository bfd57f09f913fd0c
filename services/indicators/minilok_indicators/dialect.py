"""The one place where SQL differs between PostgreSQL and SQLite in this service."""

from __future__ import annotations

import hashlib

from sqlalchemy import ColumnElement, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from minilok_indicators.domain.hierarchy import subtree_upper_bound


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def bulk_upsert(session: Session, table, rows: list[dict], key: list[str], set_) -> None:
    """`INSERT ... ON CONFLICT (key) DO UPDATE SET set_(excluded)` for many rows (distinct keys).

    PostgreSQL gets one statement whatever the number of rows: each column travels as one array
    and `unnest` turns them back into rows (far cheaper to send, parse and plan than thousands of
    statements or one with tens of thousands of parameters). SQLite gets an executemany.
    """
    if not rows:
        return
    columns = list(rows[0])
    if dialect_name(session) == "postgresql":
        arrays = [func.unnest(bindparam(f"c_{name}", value=[row[name] for row in rows],
                                        type_=postgresql.ARRAY(table.c[name].type))) for name in columns]
        statement = postgresql.insert(table).from_select(columns, select(*arrays))
        session.execute(statement.on_conflict_do_update(index_elements=key, set_=set_(statement.excluded)))
        return
    statement = sqlite.insert(table)
    session.execute(statement.on_conflict_do_update(index_elements=key, set_=set_(statement.excluded)), rows)


def first_segment(dialect: str, text: ColumnElement[str]) -> ColumnElement[str]:
    """'a/b/c/' → 'a' ('' stays ''): the child code in the rest of a materialised path."""
    if dialect == "postgresql":
        return func.split_part(text, "/", 1)
    return func.substr(text, 1, func.instr(text, "/") - 1)


def like_prefix(path: str) -> str:
    r"""A LIKE pattern for "starts with path"; PostgreSQL's default escape character is '\'."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def starts_with(dialect: str, column, prefix: str) -> ColumnElement[bool]:
    """Rows whose `column` starts with `prefix` (non-empty), as one index range.

    PostgreSQL: `LIKE 'prefix%'` on a text_pattern_ops index. SQLite: its LIKE is case-insensitive
    and skips a plain index, so the same rows are asked for as a range on the binary order.
    """
    if dialect == "postgresql":
        return column.like(like_prefix(prefix))
    return (column >= prefix) & (column < subtree_upper_bound(prefix))


def descendant_filter(dialect: str, path_column, path: str) -> ColumnElement[bool]:
    """Rows whose path lies in the subtree at `path` (the area itself included)."""
    return starts_with(dialect, path_column, path)


def transaction_lock(session: Session, name: str) -> None:
    """Hold a lock named `name` until the transaction ends (PostgreSQL advisory lock). SQLite
    needs none: BEGIN IMMEDIATE already lets one writer in at a time."""
    if dialect_name(session) != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def analyze(session: Session, tables: list[str]) -> None:
    """Refresh the planner's statistics of tables a bulk load is growing (PostgreSQL). Autovacuum
    does it eventually, but during a load from empty it lags (or is off), and the planner, still
    believing the tables tiny, scans whole periods instead of looking keys up."""
    if dialect_name(session) == "postgresql":
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))
