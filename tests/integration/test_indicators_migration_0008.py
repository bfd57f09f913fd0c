"""Indicators migration 0008 drops indicator_values' foreign keys: values already stored stay,
the migrated schema matches the models (an empty autogenerate diff), an import still rejects an
unknown area or indicator by name, and going back restores both keys."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from minilok_indicators.models import metadata
from minilok_indicators.service_layer.ingest import ingest_values
from minilok_shared.db import alembic_config, make_engine, make_sessionmaker
from minilok_shared.service import get_service

spec = get_service("indicators")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _foreign_keys(engine) -> list[str]:
    engine.dispose()  # SQLite: a pooled connection keeps the foreign keys it saw before a migration
    with engine.connect() as conn:
        return sorted(fk["referred_table"] for fk in sa.inspect(conn).get_foreign_keys("indicator_values"))


def test_values_lose_their_foreign_keys_and_ingest_still_rejects_unknown_codes(database_url):
    url = database_url("indicators")
    command.upgrade(alembic_config(spec.migrations, url), "0007")
    engine = make_engine(url)
    assert _foreign_keys(engine) == ["areas", "indicators"]
    meta = sa.MetaData()
    meta.reflect(engine, only=["areas", "indicators", "indicator_values"])
    with engine.begin() as conn:
        conn.execute(meta.tables["areas"].insert(), [{"code": "21.71", "name": "Kota Batam", "level": "kota",
                                                      "parent_code": None, "path": "21.71/", "depth": 0,
                                                      "created_at": T0}])
        conn.execute(meta.tables["indicators"].insert(), [{
            "code": "X_DS", "name": "D/S", "unit": "percent", "factor": 100.0, "target": 80.0,
            "direction": "higher_is_better", "period_type": "monthly", "denominator_aggregation": "sum",
            "target_basis": "period", "created_at": T0, "updated_at": T0}])
        conn.execute(meta.tables["indicator_values"].insert(), [{
            "indicator_code": "X_DS", "period": "2026-01", "area_code": "21.71", "numerator": 8.0,
            "denominator": 10.0, "value": 80.0, "updated_at": T0}])

    command.upgrade(alembic_config(spec.migrations, url), "head")

    assert _foreign_keys(engine) == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT numerator, value FROM indicator_values")).one() == (8.0, 80.0)
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    with make_sessionmaker(engine)() as session:
        result = ingest_values(session, [
            {"indicator_code": "X_DS", "area_code": "99.99", "period": "2026-02", "numerator": 1, "denominator": 2},
            {"indicator_code": "NOPE", "area_code": "21.71", "period": "2026-02", "numerator": 1, "denominator": 2},
        ])
        session.rollback()
    assert result.accepted == 0
    assert [(r["index"], r["field"]) for r in result.rejected] == [(0, "area_code"), (1, "indicator_code")]

    command.downgrade(alembic_config(spec.migrations, url), "0007")
    assert _foreign_keys(engine) == ["areas", "indicators"]
    engine.dispose()
