"""PWS on a real database (SQLite, or PostgreSQL by MINILOK_TEST_DATABASE_URL): a cumulative
indicator's rollup and ranking (cumulative value, the period's own, the pro-rated target, the
status), events against the pro-rated target, and an import over old values emitting nothing."""

from __future__ import annotations

import pytest
from minilok_indicators.models import Indicator
from minilok_indicators.service_layer.targets import reevaluate_quietly
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.integration.test_indicators_api import ADMIN, BATAM, client, outbox_events, post_values  # noqa: F401

SPM = {"code": "SPM_BUMIL", "name": "Pelayanan kesehatan ibu hamil sesuai standar", "unit": "percent",
       "target": 100, "direction": "higher_is_better", "period_type": "monthly",
       "denominator_aggregation": "mean", "target_basis": "cumulative"}
KEL = {"21.71.06.1004": (10, 10, 10),   # 30/120 = 25 % by March: on track, steady → baik
       "21.71.06.1005": (10, 12, 8),    # 25 %, March below February → kurang
       "21.71.06.1006": (5, 5, 7),      # 14.2 % < 25 %, rising → cukup
       "21.71.06.1007": (5, 4, 3)}      # 10 % < 25 %, falling → jelek
SASARAN = 120


def rows(indicator="SPM_BUMIL", months=(1, 2, 3)):
    return [{"indicator_code": indicator, "area_code": area, "period": f"2026-{m:02d}",
             "numerator": served[m - 1], "denominator": SASARAN}
            for area, served in KEL.items() for m in months]


@pytest.fixture
def spm(client):  # noqa: F811
    areas = [*BATAM, {"code": "21.71.06.1007", "name": "Sukajadi", "level": "kelurahan",
                      "parent_code": "21.71.06"}]
    assert client.post("/api/v1/areas/bulk", json=areas, headers=ADMIN).status_code == 201
    response = client.post("/api/v1/indicators", json=SPM, headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.json()["target_basis"] == "cumulative"
    return client


def get(client, path, **params):  # noqa: F811
    response = client.get(path, params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def test_cumulative_rollup_and_ranking_read_pws(spm):
    post_values(spm, rows())
    rollup = get(spm, "/api/v1/rollup", indicator="SPM_BUMIL", area="21.71.06", period="2026-03")
    assert rollup["target_basis"] == "cumulative"
    assert rollup["value"] == pytest.approx(89 / 480 * 100)        # January..March over the yearly sasaran
    assert rollup["period_value"] == pytest.approx(28 / 480 * 100)  # March's own
    assert rollup["target_for_period"] == pytest.approx(25) and rollup["target"] == 100
    assert rollup["meets_target"] is False
    assert rollup["numerator"] == 89 and rollup["denominator"] == pytest.approx(480)
    by_child = {c["area_code"]: c for c in rollup["children"]}
    assert {code: c["pws_status"] for code, c in by_child.items()} == {
        "21.71.06.1004": "baik", "21.71.06.1005": "kurang", "21.71.06.1006": "cukup", "21.71.06.1007": "jelek"}

    ranking = get(spm, "/api/v1/ranking", indicator="SPM_BUMIL", area="21.71.06", period="2026-03")
    assert [(i["area_code"], i["pws_status"]) for i in ranking["items"]] == [
        ("21.71.06.1007", "jelek"), ("21.71.06.1006", "cukup"),
        ("21.71.06.1004", "baik"), ("21.71.06.1005", "kurang")]
    belian = ranking["items"][1]
    assert belian["value"] == pytest.approx(17 / 120 * 100) and belian["period_value"] == pytest.approx(7 / 120 * 100)
    assert belian["previous_value"] == pytest.approx(5 / 120 * 100) and belian["trend"] == "improving"
    assert all(i["target_for_period"] == pytest.approx(25) for i in ranking["items"])

    # January: 10 of 120 meets 100 × 1/12; a quarter and the year.
    january = get(spm, "/api/v1/rollup", indicator="SPM_BUMIL", area="21.71.06.1004", period="2026-01")
    assert january["meets_target"] is True and january["target_for_period"] == pytest.approx(100 / 12)
    quarter = get(spm, "/api/v1/rollup", indicator="SPM_BUMIL", area="21.71.06.1004", period="2026Q1")
    assert quarter["target_for_period"] == pytest.approx(25) and quarter["value"] == pytest.approx(25)
    year = get(spm, "/api/v1/rollup", indicator="SPM_BUMIL", area="21.71.06.1004", period="2026")
    assert year["target_for_period"] == 100 and year["value"] == pytest.approx(25)


def test_a_period_indicator_carries_target_for_period_and_status_too(spm):
    ds = {"code": "POSYANDU_DS", "name": "D/S", "unit": "percent", "target": 80, "direction": "higher_is_better",
          "period_type": "monthly"}
    assert spm.post("/api/v1/indicators", json=ds, headers=ADMIN).status_code == 201
    post_values(spm, [{"indicator_code": "POSYANDU_DS", "area_code": "21.71.06.1004", "period": p,
                       "numerator": n, "denominator": 20} for p, n in (("2026-01", 18), ("2026-02", 17))])
    item = get(spm, "/api/v1/ranking", indicator="POSYANDU_DS", area="21.71.06", period="2026-02")["items"]
    baloi = next(i for i in item if i["area_code"] == "21.71.06.1004")
    assert baloi["target_for_period"] == 80 and baloi["value"] == baloi["period_value"] == pytest.approx(85)
    assert baloi["pws_status"] == "kurang"  # met, but lower than January's 90 %
    no_data = next(i for i in item if i["area_code"] == "21.71.06.1005")
    assert no_data["pws_status"] is None and no_data["value"] is None


def test_events_use_the_pro_rated_target_and_an_import_again_emits_nothing(spm):
    post_values(spm, rows())
    events = outbox_events(spm)
    below = {(e["subject"], e["data"]["period"]) for e in events if e["type"] == "indicator.below_target"}
    # The two kelurahan falling behind, every month; not the two on track (8 % against 100 % is no news).
    kelurahan = {key for key in below if key[0].count(".") == 3}
    assert kelurahan == {(a, f"2026-{m:02d}") for a in ("21.71.06.1006", "21.71.06.1007") for m in (1, 2, 3)}
    march = next(e for e in events if e["subject"] == "21.71.06.1007" and e["data"]["period"] == "2026-03")
    assert march["data"]["pws_status"] == "jelek" and march["data"]["target_for_period"] == pytest.approx(25)
    assert march["data"]["target"] == 100 and march["data"]["period_value"] == pytest.approx(2.5)
    count = len(events)
    post_values(spm, rows())  # the same three months again
    post_values(spm, rows(months=(2,)))
    assert len(outbox_events(spm)) == count


def test_becoming_cumulative_re_evaluates_quietly_then_an_import_emits_nothing(spm):
    # Measured the old way first: every month of every kelurahan is "below 100 %".
    period_way = {**SPM, "code": "SPM_OLD", "target_basis": "period"}
    assert spm.post("/api/v1/indicators", json=period_way, headers=ADMIN).status_code == 201
    post_values(spm, rows("SPM_OLD"))
    before = [e for e in outbox_events(spm) if e["data"]["indicator"]["code"] == "SPM_OLD"]
    assert {e["subject"] for e in before if e["subject"].count(".") == 3} == set(KEL)
    engine = spm.app.state.engine
    with Session(engine) as session:  # what migration 0007 does for the catalogue's rows
        session.execute(update(Indicator).where(Indicator.code == "SPM_OLD").values(target_basis="cumulative"))
        assert reevaluate_quietly(session, ["SPM_OLD"]) > 0
        session.commit()
    count = len(outbox_events(spm))
    post_values(spm, rows("SPM_OLD"))
    after = outbox_events(spm)[count:]
    assert after == []  # no below_target again, and no flood of "recovered" from the change of rule
    # A real change afterwards is news again: Baloi Permai drops in March.
    post_values(spm, [{"indicator_code": "SPM_OLD", "area_code": "21.71.06.1004", "period": "2026-03",
                       "numerator": 1, "denominator": SASARAN}])
    news = outbox_events(spm)[count:]
    assert ("indicator.below_target", "21.71.06.1004") in {(e["type"], e["subject"]) for e in news}


def test_migration_0007_makes_the_catalogues_spm_cumulative_without_new_events(database_url):
    from alembic import command
    from minilok_indicators.models import outbox
    from minilok_indicators.schemas import IndicatorCreate
    from minilok_indicators.service_layer.areas import add_areas
    from minilok_indicators.service_layer.catalogue import upsert_indicators
    from minilok_indicators.service_layer.ingest import ingest_values
    from minilok_indicators.spec import spec
    from minilok_shared.db import alembic_config, make_engine, make_sessionmaker
    from sqlalchemy import func, select

    url = database_url("indicators")
    config = alembic_config(spec.migrations, url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    areas = [*BATAM, {"code": "21.71.06.1007", "name": "Sukajadi", "level": "kelurahan", "parent_code": "21.71.06"}]
    with factory() as session:  # stored before 0007: the SPM indicator measured month by month
        add_areas(session, areas)
        upsert_indicators(session, [IndicatorCreate(**{**SPM, "target_basis": "period"})])
        assert ingest_values(session, rows()).events
        session.commit()
        sent = session.scalar(select(func.count()).select_from(outbox))
    command.downgrade(config, "0006")
    command.upgrade(config, "head")
    with factory() as session:
        assert session.get(Indicator, "SPM_BUMIL").target_basis == "cumulative"
        assert ingest_values(session, rows()).events == []  # nothing re-emitted, no flood of recoveries
        session.commit()
        assert session.scalar(select(func.count()).select_from(outbox)) == sent
    engine.dispose()


def test_a_late_january_re_checks_february_and_march_of_a_cumulative_indicator(spm):
    """Coverage by March is January..March: when January's count is corrected down, February's and
    March's cumulative coverage fall below their pro-rated targets too, and each says so once."""
    on_track = [{"indicator_code": "SPM_BUMIL", "area_code": "21.71.06.1004", "period": f"2026-{m:02d}",
                 "numerator": 10, "denominator": SASARAN} for m in (1, 2, 3)]
    post_values(spm, on_track)
    def below(events):
        return sorted(e["data"]["period"] for e in events
                      if e["type"] == "indicator.below_target" and e["subject"] == "21.71.06.1004")
    assert below(outbox_events(spm)) == []  # 10, 20, 30 of 120 meet 100 x 1/12, 2/12, 3/12

    count = len(outbox_events(spm))
    post_values(spm, [{**on_track[0], "numerator": 1}])  # January corrected: 1 served, not 10
    # January 1/120 < 8.3 %; February 11/120 < 16.7 %; March 21/120 < 25 %: all three fall behind.
    assert below(outbox_events(spm)[count:]) == ["2026-01", "2026-02", "2026-03"]

    count = len(outbox_events(spm))
    post_values(spm, [{**on_track[0], "numerator": 1}])  # the same correction again: no news
    assert below(outbox_events(spm)[count:]) == []
    march = get(spm, "/api/v1/rollup", indicator="SPM_BUMIL", area="21.71.06.1004", period="2026-03")
    assert march["value"] == pytest.approx(21 / 120 * 100) and march["meets_target"] is False
