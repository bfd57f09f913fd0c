"""Revoked tokens: a token whose `jti`, or whose subject before a time, is refused by every service."""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table

from minilok_shared.db import BigId, UTCDateTime


def revoked_tokens_table(metadata: MetaData) -> Table:
    table = Table(
        "revoked_tokens",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("jti", String(64), nullable=True),
        Column("subject", String(200), nullable=True),  # every token of it issued before revoked_at
        Column("revoked_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=True),  # when the revoked token would have expired
    )
    Index("ix_revoked_tokens_jti", table.c.jti)
    Index("ix_revoked_tokens_subject", table.c.subject)
    return table
