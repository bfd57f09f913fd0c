"""The API's pool pings a connection only when it sat idle (`minilok_shared.web.ping_when_idle`),
not on every checkout, and still replaces one the database dropped while it was idle."""

from __future__ import annotations

import time

import pytest
from minilok_shared.db import make_engine
from minilok_shared.web import ping_when_idle
from sqlalchemy import create_engine, text
from support import PG_ADMIN_URL, backend


@pytest.mark.skipif(backend() != "postgresql", reason="the idle ping is for PostgreSQL pools (SQLite has none)")
def test_a_busy_connection_is_not_pinged_and_an_idle_dead_one_is_replaced(database_url):
    url = database_url("meetings")
    engine = make_engine(url, pool_pre_ping=False, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=0.3)
    pings = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection):
        pings.append(time.monotonic())
        return real_ping(dbapi_connection)

    engine.dialect.do_ping = counting_ping
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        for _ in range(20):  # back to back: the one connection is never idle long enough to be pinged
            with engine.connect() as conn:
                first_pid = conn.scalar(text("SELECT pg_backend_pid()"))
        assert pings == []

        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid}) is True
        time.sleep(0.4)
        with engine.connect() as conn:  # idle past the threshold: pinged, found dead, replaced
            assert conn.scalar(text("SELECT 1")) == 1
            second_pid = conn.scalar(text("SELECT pg_backend_pid()"))
        assert len(pings) == 1 and second_pid != first_pid
    finally:
        admin.dispose()
        engine.dispose()
