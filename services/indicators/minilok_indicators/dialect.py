"""The one place where SQL differs between PostgreSQL and SQLite in this service."""

from __future__ import annotations

import hashlib

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def upsert(session: Session, table):
    """`INSERT ... ON CONFLICT` for the session's database."""
    return (postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert)(table)


def first_segment(dialect: str, text: ColumnElement[str]) -> ColumnElement[str]:
    """'a/b/c/' → 'a' ('' stays ''): the child code in the rest of a materialised path."""
    if dialect == "postgresql":
        return func.split_part(text, "/", 1)
    return func.substr(text, 1, func.instr(text, "/") - 1)


def transaction_lock(session: Session, name: str) -> None:
    """Hold a lock named `name` until the transaction ends (PostgreSQL advisory lock). SQLite
    needs none: BEGIN IMMEDIATE already lets one writer in at a time."""
    if dialect_name(session) != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))
