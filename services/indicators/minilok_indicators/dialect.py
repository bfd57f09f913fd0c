"""The one place where SQL differs between PostgreSQL and SQLite in this service."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, any_, bindparam, func, select, text
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from minilok_indicators.domain.hierarchy import subtree_upper_bound

# Values per IN list on SQLite: bind parameters stay well below its limit (32766).
SQLITE_IN_LIST = 500


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


COPY_FROM = 500  # rows from which a PostgreSQL upsert goes through COPY and a staging table


@lru_cache(maxsize=64)
def copy_timestamp(moment: datetime) -> str:
    """A timestamp as COPY text, formatted once: the rows of a batch share one, and psycopg's
    datetime dumper costs about twice a float's for every cell (1 us a row at 100k rows)."""
    return moment.isoformat()


def bulk_upsert(session: Session, table, rows: list, key: list[str], set_, where=None,
                columns: list[str] | None = None) -> None:
    """`INSERT ... ON CONFLICT (key) DO UPDATE SET set_(excluded) [WHERE where(excluded)]` for many
    rows (distinct keys): dicts, or tuples of `columns` in that order (no dict per row to build
    on the way into COPY).

    PostgreSQL: a large batch is streamed with `COPY` into a TEMP staging table (the fastest way
    rows travel: no parameters to bind, parse or plan) and upserted from there in one statement,
    in key order so that concurrent batches lock shared rows in the same order; a small batch
    travels as one array per column turned back into rows by `unnest` (one round trip instead
    of four). SQLite gets an executemany.
    """
    if not rows:
        return
    as_tuples = columns is not None
    if columns is None:
        columns = list(rows[0])
    if dialect_name(session) == "postgresql":
        if len(rows) >= COPY_FROM:
            staged = stage(session, table, columns, rows if as_tuples else ([row[c] for c in columns] for row in rows))
            upsert_staged(session, table, staged, key, set_, where)
            return
        arrays = [func.unnest(bindparam(f"c_{name}", value=[row[i] if as_tuples else row[name] for row in rows],
                                        type_=postgresql.ARRAY(table.c[name].type)))
                  for i, name in enumerate(columns)]
        session.execute(_on_conflict(postgresql.insert(table).from_select(columns, select(*arrays)), key, set_, where))
        return
    session.execute(_on_conflict(sqlite.insert(table), key, set_, where),
                    [dict(zip(columns, row, strict=True)) for row in rows] if as_tuples else rows)


def _on_conflict(statement, key: list[str], set_, where):
    """`statement ON CONFLICT (key) DO UPDATE SET set_(excluded) [WHERE where(excluded)]`."""
    return statement.on_conflict_do_update(index_elements=key, set_=set_(statement.excluded),
                                           where=where(statement.excluded) if where is not None else None)


def upsert_staged(session: Session, table, staged, key: list[str], set_, where=None) -> None:
    """`bulk_upsert` of the rows `stage` put in `staged` (PostgreSQL), in key order."""
    columns = [c.name for c in staged.c]
    statement = postgresql.insert(table).from_select(
        columns, select(*(staged.c[name] for name in columns)).order_by(*(staged.c[name] for name in key)))
    session.execute(_on_conflict(statement, key, set_, where))


def stage(session: Session, table, columns: list[str], rows):
    """The rows COPYed into an emptied TEMP table with these columns of `table` (no constraints,
    so no index to maintain); it lives as long as the connection, one per table and column set.
    `rows`: sequences of the columns' values, in their order."""
    digest = hashlib.sha256(",".join(columns).encode()).hexdigest()[:8]
    name = f"staging_{table.name}_{digest}"
    column_list = ", ".join(columns)
    session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {name} AS SELECT {column_list} FROM {table.name} "
                         f"WITH NO DATA"))
    session.execute(text(f"TRUNCATE {name}"))
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({column_list}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    analyze_once(session, name)
    return sql_table(name, *(sql_column(c) for c in columns))


def analyze_once(session: Session, temp_table: str) -> None:
    """Statistics for a TEMP table the first time its connection fills it. Autovacuum never
    looks at one: without them the planner takes a chunk for a few dozen rows, joins it by
    nested loops and sorts it on disk. They outlive TRUNCATE, and a chunk looks like the one
    before, so once per connection is enough (an ANALYZE per chunk cost 4 % of an import)."""
    analysed = session.connection().info.setdefault("minilok_analysed_temp_tables", set())
    if temp_table not in analysed:
        session.execute(text(f"ANALYZE {temp_table}"))
        analysed.add(temp_table)


def fetch_tuples(session: Session, statement) -> list[tuple]:
    """The rows of a large read as plain tuples. PostgreSQL: the compiled statement runs on the
    driver's own cursor, in the session's transaction (SQLAlchemy's rows cost ~4 us each, a tenth
    of an import's CPU); only for columns the driver already returns as wanted (text, numbers,
    booleans: no type decorator such as UTCDateTime)."""
    if dialect_name(session) != "postgresql":
        return [tuple(row) for row in session.execute(statement)]
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(compiled.string, compiled.params)
        return cursor.fetchall()


def delete_keys(session: Session, table, columns: list[str], keys: list[tuple]) -> None:
    """Delete the rows of `table` whose `columns` hold one of `keys` (tuples in that order).
    PostgreSQL: one statement, the keys travelling as one array per column joined back with
    `unnest`; SQLite: an executemany."""
    if not keys:
        return
    if dialect_name(session) == "postgresql":
        arrays = ", ".join(f"CAST(:k{i} AS {table.c[name].type.compile(session.get_bind().dialect)}[])"
                           for i, name in enumerate(columns))
        matches = " AND ".join(f"{table.name}.{name} = k.{name}" for name in columns)
        session.execute(text(f"DELETE FROM {table.name} USING unnest({arrays}) AS k({', '.join(columns)}) "
                             f"WHERE {matches}"),
                        {f"k{i}": [key[i] for key in keys] for i in range(len(columns))})
        return
    condition = " AND ".join(f"{name} = :{name}" for name in columns)
    session.execute(text(f"DELETE FROM {table.name} WHERE {condition}"),
                    [dict(zip(columns, key, strict=True)) for key in keys])


def in_batches(session: Session, column, values) -> Iterator[ColumnElement[bool]]:
    """`column IN values` as few conditions as the database allows: one `= ANY(:array)` on
    PostgreSQL (one statement however many values, nothing to render or plan per value), an IN
    list per `SQLITE_IN_LIST` values on SQLite (its limit on bind parameters)."""
    ordered = sorted(set(values))
    if not ordered:
        return
    if dialect_name(session) == "postgresql":
        yield column == any_(bindparam(None, value=ordered, type_=postgresql.ARRAY(column.type)))
        return
    for start in range(0, len(ordered), SQLITE_IN_LIST):
        yield column.in_(ordered[start:start + SQLITE_IN_LIST])


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
