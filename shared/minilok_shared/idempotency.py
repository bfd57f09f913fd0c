"""Idempotency keys: a POST repeated with the same `Idempotency-Key` answers its first response."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, String, Table

from minilok_shared.db import BigId, UTCDateTime


def idempotency_table(metadata: MetaData) -> Table:
    table = Table(
        "idempotency_keys",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        # sha256 of (caller, method, path, key): one caller's key never answers another's request
        Column("scope_hash", String(64), nullable=False, unique=True),
        Column("request_hash", String(64), nullable=False),  # sha256 of the body
        Column("status", String(10), nullable=False),  # running | done
        Column("created_at", UTCDateTime, nullable=False),
        Column("locked_until", UTCDateTime, nullable=False),
        Column("response_status", Integer, nullable=True),
        Column("response_type", String(200), nullable=True),
        Column("response_body", LargeBinary, nullable=True),
    )
    Index("ix_idempotency_keys_created_at", table.c.created_at)
    return table
