"""Revoked tokens: a token whose `jti`, or whose subject before a time, is refused by every service."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Index, MetaData, String, Table, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError

from minilok_shared.db import BigId, UTCDateTime

log = logging.getLogger(__name__)


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


# How old the in-process copy of the table may get: a revocation reaches every process within this.
REFRESH_SECONDS = 2.0


@dataclass(frozen=True)
class Revocations:
    jtis: frozenset[str]
    subjects: dict[str, datetime]  # subject -> its latest revocation time

    def refuses(self, jti: str | None, subject: str, issued_at: datetime | None) -> bool:
        if jti is not None and jti in self.jtis:
            return True
        revoked_at = self.subjects.get(subject)
        return revoked_at is not None and (issued_at is None or issued_at < revoked_at)


class RevocationList:
    """A service's revoked tokens, read from its own database at most every REFRESH_SECONDS, so
    that checking a token costs no database round trip. Until the first read succeeds, `current`
    is None (the caller refuses to guess); later failures keep the last copy."""

    def __init__(self, engine: Engine, refresh_seconds: float = REFRESH_SECONDS):
        self.engine, self.refresh_seconds = engine, refresh_seconds
        self.table = revoked_tokens_table(MetaData())
        self.current: Revocations | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def stale(self) -> bool:
        return time.monotonic() - self._read_at >= self.refresh_seconds

    def refresh(self) -> Revocations | None:
        """Read the table again unless another thread is doing so or has just done so."""
        if not self._lock.acquire(blocking=self.current is None):
            return self.current
        try:
            if self.stale():
                now = datetime.now(UTC)
                query = select(self.table.c.jti, self.table.c.subject, self.table.c.revoked_at).where(
                    or_(self.table.c.expires_at.is_(None), self.table.c.expires_at > now))
                try:
                    with self.engine.connect() as connection:
                        rows = connection.execute(query).all()
                except SQLAlchemyError as exc:
                    log.warning("cannot read revoked tokens (keeping the last copy): %s", exc)
                    self._read_at = time.monotonic()  # retried after refresh_seconds, not per request
                    return self.current
                subjects: dict[str, datetime] = {}
                for row in rows:
                    if row.subject is not None and row.revoked_at > subjects.get(row.subject, _EPOCH):
                        subjects[row.subject] = row.revoked_at
                self.current = Revocations(frozenset(r.jti for r in rows if r.jti), subjects)
                self._read_at = time.monotonic()
            return self.current
        finally:
            self._lock.release()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def revoke(engine: Engine, *, jti: str | None = None, subject: str | None = None,
           expires_at: datetime | None = None) -> None:
    """Record a revocation in one service's database (the CLI does it in every service's)."""
    table = revoked_tokens_table(MetaData())
    with engine.begin() as connection:
        connection.execute(insert(table).values(jti=jti, subject=subject, revoked_at=datetime.now(UTC),
                                                expires_at=expires_at))
