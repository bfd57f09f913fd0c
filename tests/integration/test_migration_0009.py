"""Migration 0009 adds "boleh masuk" (`agency_contacts.can_sign_in`): every contact already there keeps
the right to sign in it had, and the migrated schema matches the models (an empty autogenerate diff)."""

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


def test_existing_contacts_may_still_sign_in_and_the_schema_matches_the_models(database_url):
    url = database_url("meetings")
    command.upgrade(alembic_config(spec.migrations, url), "0008")
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["agencies", "agency_contacts"])
    with engine.begin() as conn:
        conn.execute(meta.tables["agencies"].insert(), [{"id": 1, "name": "Kelurahan Baru Tengah",
                                                         "kind": "kelurahan", "created_at": T0}])
        conn.execute(meta.tables["agency_contacts"].insert(), [
            {"id": 1, "agency_id": 1, "name": "Bu Sri", "phone": "+6281255551234", "email": None},
            {"id": 2, "agency_id": 1, "name": "Pak Joko", "phone": None, "email": "joko@baru-tengah.id"}])

    command.upgrade(alembic_config(spec.migrations, url), "head")

    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT id, can_sign_in FROM agency_contacts ORDER BY id")).all() == [
            (1, True), (2, True)]
        # A row written without the column (as by an older process during a rolling upgrade) may sign in.
        conn.execute(sa.text("INSERT INTO agency_contacts (id, agency_id, name) VALUES (3, 1, 'Bu Ani')"))
        assert conn.execute(sa.text("SELECT can_sign_in FROM agency_contacts WHERE id = 3")).scalar() in (True, 1)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []

    command.downgrade(alembic_config(spec.migrations, url), "0008")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("agency_contacts")}
    engine.dispose()
    assert "can_sign_in" not in columns
