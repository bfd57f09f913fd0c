"""Migration 0010 adds the RTL matrix's columns to follow-ups: a follow-up already there keeps its
data with the new columns empty, the migrated schema matches the models (an empty autogenerate diff),
and going back removes them."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from minilok_meetings.models import metadata
from minilok_shared.db import alembic_config, make_engine
from minilok_shared.service import get_service

spec = get_service("meetings")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NEW = ("objective", "target_group", "location", "success_indicator", "cost_estimate", "funding_source")


def test_existing_followups_keep_their_data_and_the_schema_matches_the_models(database_url):
    url = database_url("meetings")
    command.upgrade(alembic_config(spec.migrations, url), "0009")
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["agencies", "puskesmas", "meetings", "followups"])
    with engine.begin() as conn:
        conn.execute(meta.tables["agencies"].insert(), [{"id": 1, "name": "Kelurahan Baru Tengah",
                                                         "kind": "kelurahan", "created_at": T0}])
        conn.execute(meta.tables["puskesmas"].insert(), [{
            "id": 1, "code": "P2171060201", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Jakarta",
            "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau",
            "extra_holidays": [], "created_at": T0}])
        conn.execute(meta.tables["meetings"].insert(), [{
            "id": 1, "puskesmas_id": 1, "kind": "monthly_internal", "title": "Minilok Maret",
            "scheduled_at": T0, "status": "held", "decisions": [], "created_at": T0}])
        conn.execute(meta.tables["followups"].insert(), [{
            "id": 1, "meeting_id": 1, "puskesmas_id": 1, "title": "PSN serentak", "owner_agency_id": 1,
            "due_at": T0, "priority": "normal", "status": "open", "escalation_level": 0, "percent": 0,
            "reminder_stage": 0, "created_at": T0, "updated_at": T0}])

    command.upgrade(alembic_config(spec.migrations, url), "head")

    with engine.begin() as conn:
        got = conn.execute(sa.text("SELECT title, " + ", ".join(NEW) + " FROM followups WHERE id = 1")).one()
        assert tuple(got) == ("PSN serentak", None, None, None, None, None, None)
        conn.execute(sa.text("UPDATE followups SET cost_estimate = :c, funding_source = 'dana_desa' WHERE id = 1"),
                     {"c": 12_500_000_000})  # beyond 32 bits: a BigInteger
        assert conn.execute(sa.text("SELECT cost_estimate FROM followups WHERE id = 1")).scalar() == 12_500_000_000
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []

    command.downgrade(alembic_config(spec.migrations, url), "0009")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("followups")}
    engine.dispose()
    assert not columns & set(NEW)
