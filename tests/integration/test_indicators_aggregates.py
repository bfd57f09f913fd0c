"""Rollups kept up to date on ingest equal the rollups computed from the values, on SQLite and
PostgreSQL: random batches (upserts over earlier values, values on inner areas, flows and stocks,
missing months), a rebuild from scratch, and the migration that fills the table for old data."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from alembic import command
from minilok_indicators.dialect import COPY_FROM
from minilok_indicators.domain.periods import Period
from minilok_indicators.models import Area, AreaRollup, Indicator
from minilok_indicators.schemas import IndicatorCreate
from minilok_indicators.service_layer.aggregates import NATIONAL, rebuild
from minilok_indicators.service_layer.areas import add_areas
from minilok_indicators.service_layer.catalogue import upsert_indicators
from minilok_indicators.service_layer.ingest import ingest_values
from minilok_indicators.service_layer.rollups import national_area, totals_from_values, totals_of
from minilok_indicators.spec import spec
from minilok_shared.db import alembic_config, make_engine, make_sessionmaker, upgrade
from sqlalchemy import select, text

INDICATORS = [
    # A flow: denominators add up over months.
    IndicatorCreate(code="DS", name="D/S", unit="percent", target=80, direction="higher_is_better",
                    period_type="monthly"),
    # A stock: the population is averaged over the months an area reported.
    IndicatorCreate(code="IR", name="IR DBD", unit="per_100k", target=49, direction="lower_is_better",
                    period_type="monthly", denominator_aggregation="mean"),
    IndicatorCreate(code="TSR", name="TB TSR", unit="percent", target=90, direction="higher_is_better",
                    period_type="quarterly"),
    IndicatorCreate(code="CASES", name="Kasus", unit="count", direction="lower_is_better", period_type="yearly"),
]


def hierarchy() -> list[dict]:
    areas = [{"code": "P1", "name": "P1", "level": "provinsi"}, {"code": "P2", "name": "P2", "level": "provinsi"}]
    for p in ("P1", "P2"):
        areas.append({"code": f"{p}.K", "name": "K", "level": "kota", "parent_code": p})
        for c in range(2):
            kec = f"{p}.K.{c}"
            areas.append({"code": kec, "name": kec, "level": "kecamatan", "parent_code": f"{p}.K"})
            for k in range(3):
                kel = f"{kec}.{k}"
                areas.append({"code": kel, "name": kel, "level": "kelurahan", "parent_code": kec})
                areas.append({"code": f"{kel}.PY", "name": "Posyandu", "level": "posyandu", "parent_code": kel})
    return areas


def random_rows(rng: random.Random, codes: list[str], count: int) -> list[dict]:
    rows = []
    for _ in range(count):
        indicator = rng.choice(INDICATORS)
        period = {"monthly": f"2026-{rng.randint(1, 12):02d}", "quarterly": f"2026Q{rng.randint(1, 4)}",
                  "yearly": "2026"}[indicator.period_type]
        denominator = rng.choice([None, 0, rng.randint(1, 500)]) if indicator.unit == "count" else rng.randint(0, 500)
        numerator = rng.randint(0, denominator) if denominator else rng.randint(0, 30)
        if indicator.unit == "percent" and denominator == 0:
            numerator = 0
        rows.append({"indicator_code": indicator.code, "area_code": rng.choice(codes), "period": period,
                     "numerator": numerator, "denominator": denominator})
    return rows


def all_periods(indicator: Indicator) -> list[Period]:
    year = Period(2026, "yearly", 1)
    periods = [year]
    if indicator.period_type in ("monthly", "quarterly"):
        periods += year.parts("quarterly")
    if indicator.period_type == "monthly":
        periods += year.parts("monthly")
    return periods


def assert_rollups_match_values(session) -> int:
    areas = [*session.scalars(select(Area)), national_area()]
    checked = 0
    for indicator in session.scalars(select(Indicator)):
        for period in all_periods(indicator):
            stored = totals_of(session, indicator, period, [a.code for a in areas])
            for area in areas:
                expected = totals_from_values(session, indicator, area, period)
                got = stored[area.code]
                assert got.reports == expected.reports, (indicator.code, str(period), area.code)
                assert got.numerator == pytest.approx(expected.numerator), (indicator.code, str(period), area.code)
                if expected.denominator is None:
                    assert got.denominator is None, (indicator.code, str(period), area.code)
                else:
                    assert got.denominator == pytest.approx(expected.denominator, rel=1e-9, abs=1e-9), (
                        indicator.code, str(period), area.code)
                checked += 1
    return checked


@pytest.fixture
def sessions(database_url):
    url = database_url("indicators")
    upgrade(spec.migrations, url, "indicators")
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        rows, errors = add_areas(session, hierarchy())
        assert not errors
        upsert_indicators(session, INDICATORS)
        session.commit()
    yield factory
    engine.dispose()


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_rollups_equal_rollups_from_values(sessions, seed):
    rng = random.Random(seed)
    with sessions() as session:
        codes = list(session.scalars(select(Area.code)))
    # Batches of different sizes; later ones overwrite earlier values (the same keys recur often).
    # The two largest hold more distinct keys than COPY_FROM: on PostgreSQL they are staged and
    # the flows' differences are worked out in SQL.
    for size in (1, 40, 200, 5, 300, 120, 1500, 60, 1400):
        rows = random_rows(rng, codes, size)
        if size > 1000:
            assert len({(r["indicator_code"], r["period"], r["area_code"]) for r in rows}) >= COPY_FROM
        with sessions() as session:
            result = ingest_values(session, rows)
            assert not result.rejected
            session.commit()
    with sessions() as session:
        assert assert_rollups_match_values(session) > 1000
        national = totals_of(session, session.get(Indicator, "DS"), Period(2026, "yearly", 1), [NATIONAL])[NATIONAL]
        assert national.reports > 0

        # A rebuild from the values writes the same rows (up to float rounding).
        before = {(r.indicator_code, r.period, r.area_code): (r.numerator, r.denominator, r.denominator_reports,
                                                               r.reports) for r in session.scalars(select(AreaRollup))}
        assert rebuild(session) == len(before)
        session.commit()
        after = {(r.indicator_code, r.period, r.area_code): (r.numerator, r.denominator, r.denominator_reports,
                                                              r.reports) for r in session.scalars(select(AreaRollup))}
    assert before.keys() == after.keys()
    for key, (numerator, denominator, denominator_reports, reports) in before.items():
        assert after[key][0] == pytest.approx(numerator) and after[key][1] == pytest.approx(denominator)
        assert after[key][2:] == (denominator_reports, reports)


def test_rebuild_repairs_a_damaged_table(sessions):
    with sessions() as session:
        codes = list(session.scalars(select(Area.code)))
        ingest_values(session, random_rows(random.Random(3), codes, 150))
        session.commit()
    with sessions() as session:
        session.execute(text("UPDATE area_rollups SET numerator = numerator + 7"))
        session.execute(text("DELETE FROM area_rollups WHERE area_code = 'P1'"))
        session.commit()
        with pytest.raises(AssertionError):
            assert_rollups_match_values(session)
        rebuild(session)
        session.commit()
        assert assert_rollups_match_values(session) > 0


def test_migration_fills_rollups_for_values_stored_before_it(database_url):
    url = database_url("indicators")
    # The data goes in at head, then the schema goes back to 0002 (values, areas and indicators stay;
    # area_rollups and the later columns go), so the ORM writing it matches the tables.
    command.upgrade(alembic_config(spec.migrations, url), "head")
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        add_areas(session, hierarchy())
        upsert_indicators(session, INDICATORS)
        rows = random_rows(random.Random(4), [a["code"] for a in hierarchy()], 200)
        latest = {(r["indicator_code"], r["period"], r["area_code"]): r for r in rows}
        session.execute(text("INSERT INTO indicator_values (indicator_code, period, area_code, numerator, "
                             "denominator, value, updated_at) VALUES (:indicator_code, :period, :area_code, "
                             ":numerator, :denominator, NULL, CURRENT_TIMESTAMP)"), list(latest.values()))
        session.commit()
    command.downgrade(alembic_config(spec.migrations, url), "0002")
    with engine.connect() as conn:
        assert "area_rollups" not in sa.inspect(conn).get_table_names()
    command.upgrade(alembic_config(spec.migrations, url), "head")
    with factory() as session:
        assert session.scalar(text("SELECT count(*) FROM area_rollups")) > 0
        assert assert_rollups_match_values(session) > 1000
    engine.dispose()


def test_concurrent_ingests_of_the_same_keys_add_up_once(sessions):
    """Four writers upsert overlapping keys at once: each waits for the others' values before
    working out its differences, so the stored rollups still equal the values."""
    from concurrent.futures import ThreadPoolExecutor

    with sessions() as session:
        codes = list(session.scalars(select(Area.code)))

    def writer(seed: int) -> int:
        rows = random_rows(random.Random(seed), codes, 150)
        with sessions() as session:
            result = ingest_values(session, rows)
            session.commit()
        return result.accepted

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(writer, range(10, 18))) == 8 * 150
    with sessions() as session:
        assert assert_rollups_match_values(session) > 1000
