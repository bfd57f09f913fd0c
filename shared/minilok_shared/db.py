"""Engines, sessions, migrations and cross-process locks for a service's own database.

SQLite is the zero-setup default (a file per service under ./var/); PostgreSQL is production.
Both must behave the same for the outbox, inbox and scans, so the differences live here.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

# BIGINT on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY autoincrements there).
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes in, timezone-aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs) -> Engine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Let SQLAlchemy issue BEGIN itself (below), so that writers take the lock up front
            # instead of failing with "database is locked" when upgrading a read transaction.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def insert_on_conflict(bind: Session | Engine | Connection, table):
    """`INSERT` that takes `.on_conflict_do_nothing/_update(...)`, for PostgreSQL or SQLite: the
    one place where the two dialects' inserts are chosen."""
    if isinstance(bind, Session):
        bind = bind.get_bind()
    return (postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert)(table)


def make_sessionmaker(engine: Engine, class_: type[Session] = Session) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, class_=class_)


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _sqlite_lock_path(engine: Engine, name: str) -> Path:
    database = engine.url.database or "memory"
    return Path(f"{database}.{name}.lock")


@contextlib.contextmanager
def blocking_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold a cross-process lock until the block ends (migrations: one process at a time)."""
    if engine.dialect.name == "sqlite":
        path = _sqlite_lock_path(engine, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(name)})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(name)})
            conn.commit()


class LeaderLock:
    """A non-blocking lock held for as long as this process lives: one leader among several
    relays or schedulers. It dies with the process (advisory lock on its own connection on
    PostgreSQL, flock on SQLite), so a killed leader is replaced at once."""

    def __init__(self, engine: Engine, name: str):
        self.engine, self.name = engine, name
        self._conn: Connection | None = None
        self._fh = None

    def try_acquire(self) -> bool:
        if self.held():
            return True
        if self.engine.dialect.name == "sqlite":
            path = _sqlite_lock_path(self.engine, self.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                return False
            self._fh = fh
            return True
        conn = self.engine.connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_key(self.name)}).scalar()
            conn.commit()
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def held(self) -> bool:
        """True while the lock is still ours (checks the PostgreSQL session is alive)."""
        if self._fh is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception:
            log.warning("leader lock %s lost with its connection", self.name)
            self._drop_connection()
            return False

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.invalidate()
                self._conn.close()
        self._conn = None

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(self.name)})
                self._conn.commit()
            self._drop_connection()


# --- Alembic -----------------------------------------------------------------------------


def alembic_config(script_location: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def run_alembic_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def upgrade(script_location: str, url: str, service: str) -> None:
    """Migrate to head; safe when several processes of a service start at once."""
    engine = make_engine(url)
    try:
        with blocking_lock(engine, f"minilok-migrate-{service}"):
            command.upgrade(alembic_config(script_location, url), "head")
    finally:
        engine.dispose()


def silence_alembic_logging() -> None:
    logging.getLogger("alembic").setLevel(os.environ.get("ALEMBIC_LOG_LEVEL", "WARNING"))
