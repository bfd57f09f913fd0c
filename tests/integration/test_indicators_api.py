"""Indicators API against a real database (SQLite or PostgreSQL by MINILOK_TEST_DB)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
import redis
from fastapi.testclient import TestClient
from minilok_indicators.app import create_app
from minilok_indicators.config import get_settings
from minilok_indicators.dialect import descendant_filter
from minilok_indicators.handlers import handlers
from minilok_indicators.models import Area, inbox, outbox
from minilok_indicators.spec import spec
from minilok_indicators.tasks import recheck_targets
from minilok_shared.auth import create_token
from minilok_shared.db import upgrade
from minilok_shared.events.consumer import EventConsumer
from minilok_shared.events.envelope import new_event
from sqlalchemy import select, text


def auth(role: str = "admin", **ids) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(os.environ['MINILOK_SECRET'], role, **ids)}"}


ADMIN = auth()
PUSKESMAS = auth("puskesmas", puskesmas_id=1, area_code="21")  # a puskesmas reports only with its area
AGENCY = auth("agency", agency_id=7)

BATAM = [
    {"code": "21", "name": "Kepulauan Riau", "level": "provinsi"},
    {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21"},
    {"code": "21.71.06", "name": "Batam Kota", "level": "kecamatan", "parent_code": "21.71"},
    {"code": "21.71.06.1004", "name": "Baloi Permai", "level": "kelurahan", "parent_code": "21.71.06"},
    {"code": "21.71.06.1005", "name": "Taman Baloi", "level": "kelurahan", "parent_code": "21.71.06"},
    {"code": "21.71.06.1006", "name": "Belian", "level": "kelurahan", "parent_code": "21.71.06"},
    {"code": "PY-MAWAR-X", "name": "Posyandu Mawar X", "level": "posyandu", "parent_code": "21.71.06.1004"},
    {"code": "PY-MAWAR-12", "name": "Posyandu Mawar 12", "level": "posyandu", "parent_code": "21.71.06.1004"},
]


@pytest.fixture
def client(database_url, monkeypatch):
    url = database_url("indicators")
    monkeypatch.setenv("INDICATORS_DATABASE_URL", url)
    get_settings.cache_clear()
    upgrade(spec.migrations, url, "indicators")
    with TestClient(create_app()) as test_client:
        yield test_client
    get_settings.cache_clear()
    # Target changes enqueue a re-check for a worker; none runs here, so drop what they queued.
    broker = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    broker.delete(f"{os.environ.get('REDIS_KEY_PREFIX', '')}indicators")
    broker.close()


@pytest.fixture
def batam(client):
    response = client.post("/api/v1/areas/bulk", json=BATAM, headers=ADMIN)
    assert response.status_code == 201, response.text
    return client


# --- areas -------------------------------------------------------------------------------


def test_create_area_and_read_it_with_children(client):
    response = client.post("/api/v1/areas", json=BATAM[0], headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.json()["path"] == "/21/"
    client.post("/api/v1/areas", json=BATAM[1], headers=ADMIN)
    area = client.get("/api/v1/areas/21", headers=PUSKESMAS).json()
    assert area["level"] == "provinsi"
    assert [c["code"] for c in area["children"]] == ["21.71"]
    kota = client.get("/api/v1/areas/21.71", headers=AGENCY).json()
    assert kota["path"] == "/21/21.71/"
    assert [a["code"] for a in kota["ancestors"]] == ["21"]


def test_bulk_in_any_order(client):
    response = client.post("/api/v1/areas/bulk", json=list(reversed(BATAM)), headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == len(BATAM)
    kelurahan = client.get("/api/v1/areas/21.71.06.1004", headers=ADMIN).json()
    assert kelurahan["path"] == "/21/21.71/21.71.06/21.71.06.1004/"
    assert sorted(c["code"] for c in kelurahan["children"]) == ["PY-MAWAR-12", "PY-MAWAR-X"]


def test_bulk_is_all_or_nothing_with_errors_by_index(client):
    bad = [*BATAM[:3], {"code": "X1", "name": "Salah", "level": "kelurahan", "parent_code": "nowhere"},
           {"code": "X2", "name": "Salah juga", "level": "rt", "parent_code": "21.71.06"}]
    response = client.post("/api/v1/areas/bulk", json=bad, headers=ADMIN)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [(e["loc"][1], e["loc"][2]) for e in errors] == [(3, "parent_code"), (4, "parent_code")]
    assert client.get("/api/v1/areas/21", headers=ADMIN).status_code == 404


def test_bulk_field_errors_name_the_index(client):
    response = client.post("/api/v1/areas/bulk", json=[BATAM[0], {"code": "9", "name": "x", "level": "dusun"}],
                           headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 1, "level"]


def test_unknown_parent_is_422_naming_parent_code(client):
    response = client.post("/api/v1/areas", json={"code": "1", "name": "A", "level": "kota", "parent_code": "99"},
                           headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parent_code"]


@pytest.mark.parametrize("level,parent", [("kelurahan", "21.71"), ("posyandu", "21.71.06"), ("kota", "21.71"),
                                          ("provinsi", "21")])
def test_level_order_is_enforced(batam, level, parent):
    response = batam.post("/api/v1/areas", json={"code": "NEW", "name": "Baru", "level": level, "parent_code": parent},
                          headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "parent_code"]


def test_posyandu_under_rw(batam):
    rw = {"code": "RW-01", "name": "RW 01", "level": "rw", "parent_code": "21.71.06.1005"}
    assert batam.post("/api/v1/areas", json=rw, headers=ADMIN).status_code == 201
    posyandu = {"code": "PY-RW01", "name": "Posyandu RW 01", "level": "posyandu", "parent_code": "RW-01"}
    assert batam.post("/api/v1/areas", json=posyandu, headers=ADMIN).status_code == 201


def test_duplicate_code_is_409(batam):
    response = batam.post("/api/v1/areas", json=BATAM[1], headers=ADMIN)
    assert response.status_code == 409
    assert "sudah ada" in response.json()["detail"]
    assert batam.post("/api/v1/areas/bulk", json=[BATAM[1]], headers=ADMIN).status_code == 409


def test_duplicate_within_bulk_is_409(client):
    response = client.post("/api/v1/areas/bulk", json=[BATAM[0], BATAM[0]], headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == ["body", 1, "code"]


def test_area_access(client):
    assert client.post("/api/v1/areas", json=BATAM[0]).status_code == 401
    assert client.post("/api/v1/areas", json=BATAM[0], headers=PUSKESMAS).status_code == 403
    assert client.post("/api/v1/areas/bulk", json=BATAM, headers=AGENCY).status_code == 403
    assert client.get("/api/v1/areas/21").status_code == 401
    assert client.get("/api/v1/areas/21", headers=AGENCY).status_code == 404


def test_list_children_paginated(batam):
    page = batam.get("/api/v1/areas", params={"parent_code": "21.71.06", "limit": 2}, headers=ADMIN).json()
    assert [a["code"] for a in page["items"]] == ["21.71.06.1004", "21.71.06.1005"]
    rest = batam.get("/api/v1/areas", params={"parent_code": "21.71.06", "cursor": page["next_cursor"]},
                     headers=ADMIN).json()
    assert [a["code"] for a in rest["items"]] == ["21.71.06.1006"] and rest["next_cursor"] is None


# --- indicators --------------------------------------------------------------------------

DS = {"code": "POSYANDU_DS", "name": "D/S", "unit": "percent", "factor": 100, "target": 80,
      "direction": "higher_is_better", "period_type": "monthly"}
IR = {"code": "DBD_IR", "name": "IR DBD", "unit": "per_100k", "target": 10, "direction": "lower_is_better",
      "period_type": "monthly", "denominator_aggregation": "mean"}
TSR = {"code": "TB_TSR", "name": "TSR", "unit": "percent", "target": 90, "direction": "higher_is_better",
       "period_type": "quarterly"}


@pytest.fixture
def loaded(batam):
    for indicator in (DS, IR, TSR):
        response = batam.post("/api/v1/indicators", json=indicator, headers=ADMIN)
        assert response.status_code == 201, response.text
    return batam


def test_create_and_list_indicators(loaded):
    assert loaded.post("/api/v1/indicators", json=DS, headers=ADMIN).status_code == 409
    assert loaded.post("/api/v1/indicators", json=DS, headers=PUSKESMAS).status_code == 403
    bad = loaded.post("/api/v1/indicators", json={**DS, "code": "X", "unit": "furlongs"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "unit"]
    page = loaded.get("/api/v1/indicators", headers=AGENCY).json()
    assert [i["code"] for i in page["items"]] == ["DBD_IR", "POSYANDU_DS", "TB_TSR"]
    assert page["next_cursor"] is None
    ir = next(i for i in page["items"] if i["code"] == "DBD_IR")
    assert ir["factor"] == 100_000  # the unit's default


# --- values, rollups, ranking ------------------------------------------------------------


def ds(area: str, period: str, d: float, s: float) -> dict:
    return {"indicator_code": "POSYANDU_DS", "area_code": area, "period": period, "numerator": d, "denominator": s}


def post_values(client, rows, headers=ADMIN):
    response = client.post("/api/v1/values", json=rows, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_values_rejected_row_by_row(loaded):
    rows = [
        ds("PY-MAWAR-X", "2026-01", 18, 20),
        ds("NOWHERE", "2026-01", 1, 2),
        {**ds("PY-MAWAR-X", "2026-01", 1, 2), "indicator_code": "NOPE"},
        ds("PY-MAWAR-X", "2026-01", -1, 2),
        ds("PY-MAWAR-X", "2026-01", 30, 20),
        ds("PY-MAWAR-X", "2026Q1", 1, 2),
        ds("PY-MAWAR-X", "2026-1", 1, 2),
        {"indicator_code": "POSYANDU_DS", "area_code": "PY-MAWAR-X", "period": "2026-01", "numerator": "lots"},
        "not an object",
        {**ds("PY-MAWAR-12", "2026-01", 5, 10), "value": 50},
    ]
    result = post_values(loaded, rows, headers=PUSKESMAS)
    assert result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (1, "area_code"), (2, "indicator_code"), (3, "numerator"), (4, "numerator"), (5, "period"), (6, "period"),
        (7, "numerator"), (8, None)]
    assert all(" / " in r["detail"] for r in result["rejected"])


def test_a_puskesmas_token_reports_only_within_its_working_area(loaded):
    own = auth("puskesmas", puskesmas_id=1, area_code="21.71.06.1004")
    result = post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 18, 20), ds("21.71.06.1005", "2026-01", 45, 50),
                                  ds("21.71.06.1004", "2026-01", 30, 40)], headers=own)
    assert result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [(1, "area_code")]
    assert "di luar wilayah kerja" in result["rejected"][0]["detail"]
    csv_body = "indicator_code,area_code,period,numerator,denominator\nPOSYANDU_DS,21.71.06,2026-01,1,2\n"
    rejected = loaded.post("/api/v1/import/csv", content=csv_body, headers={**own, "Content-Type": "text/csv"})
    assert rejected.status_code == 200 and rejected.json()["rejected"][0]["field"] == "area_code"
    unknown = auth("puskesmas", puskesmas_id=1, area_code="NOWHERE")
    assert loaded.post("/api/v1/values", json=[], headers=unknown).status_code == 403


def test_values_need_a_reporter_role(loaded):
    assert loaded.post("/api/v1/values", json=[], headers=AGENCY).status_code == 403
    assert loaded.post("/api/v1/values", json={"not": "a list"}, headers=ADMIN).status_code == 422


def test_rollup_is_weighted_over_descendants_with_children(loaded):
    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 18, 20), ds("PY-MAWAR-12", "2026-01", 100, 200),
                         ds("21.71.06.1005", "2026-01", 45, 50)])
    body = loaded.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "21.71.06", "period": "2026-01"},
                      headers=AGENCY).json()
    assert body["numerator"] == 163 and body["denominator"] == 270
    assert body["value"] == pytest.approx(163 / 270 * 100)
    assert body["target"] == 80 and body["meets_target"] is False
    children = {c["area_code"]: c for c in body["children"]}
    assert children["21.71.06.1004"]["value"] == pytest.approx(118 / 220 * 100)
    assert children["21.71.06.1005"]["value"] == pytest.approx(90.0)
    assert children["21.71.06.1005"]["meets_target"] is True
    assert children["21.71.06.1006"]["value"] is None and children["21.71.06.1006"]["reports"] == 0
    national = loaded.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "21", "period": "2026-01"},
                          headers=ADMIN).json()
    assert national["value"] == pytest.approx(body["value"])


def test_upsert_replaces_a_value(loaded):
    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 10, 20)])
    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 19, 20), ds("PY-MAWAR-X", "2026-01", 18, 20)])
    body = loaded.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "PY-MAWAR-X",
                                                "period": "2026-01"}, headers=ADMIN).json()
    assert body["value"] == pytest.approx(90.0) and body["reports"] == 1 and body["children"] == []


def test_quarter_and_year_roll_up_months(loaded):
    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 10, 20), ds("PY-MAWAR-X", "2026-03", 20, 20),
                         ds("PY-MAWAR-X", "2026-04", 5, 20)])
    quarter = loaded.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "21.71.06.1004",
                                                   "period": "2026Q1"}, headers=ADMIN).json()
    assert quarter["value"] == pytest.approx(75.0) and quarter["reports"] == 2  # February missing
    year = loaded.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "21.71.06.1004",
                                                "period": "2026"}, headers=ADMIN).json()
    assert year["numerator"] == 35 and year["denominator"] == 60


def test_stock_denominator_is_averaged_over_the_year(loaded):
    rows = [{"indicator_code": "DBD_IR", "area_code": "21.71.06.1004", "period": f"2026-{m:02d}",
             "numerator": 1, "denominator": 50_000} for m in range(1, 13)]
    post_values(loaded, rows)
    year = loaded.get("/api/v1/rollup", params={"indicator": "DBD_IR", "area": "21.71.06", "period": "2026"},
                      headers=ADMIN).json()
    assert year["value"] == pytest.approx(24.0)  # 12 cases per 50,000 people in the year
    assert year["meets_target"] is False


def test_rollup_input_errors(loaded):
    params = {"indicator": "TB_TSR", "area": "21.71", "period": "2026-01"}
    response = loaded.get("/api/v1/rollup", params=params, headers=ADMIN)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "period"]
    assert loaded.get("/api/v1/rollup", params={**params, "period": "2026Q1"}, headers=ADMIN).status_code == 200
    assert loaded.get("/api/v1/rollup", params={**params, "area": "none", "period": "2026"},
                      headers=ADMIN).status_code == 404
    assert loaded.get("/api/v1/rollup", params={**params, "indicator": "none"}, headers=ADMIN).status_code == 404
    assert loaded.get("/api/v1/rollup", params={"indicator": "TB_TSR"}, headers=ADMIN).status_code == 422
    assert loaded.get("/api/v1/rollup", params=params).status_code == 401


def test_ranking_worst_first_with_trend(loaded):
    post_values(loaded, [
        ds("21.71.06.1004", "2026-01", 60, 100), ds("21.71.06.1004", "2026-02", 50, 100),
        ds("21.71.06.1005", "2026-01", 90, 100), ds("21.71.06.1005", "2026-02", 95, 100),
        ds("21.71.06.1006", "2026-02", 70, 100),
    ])
    body = loaded.get("/api/v1/ranking", params={"indicator": "POSYANDU_DS", "area": "21.71.06",
                                                 "period": "2026-02"}, headers=PUSKESMAS).json()
    assert body["previous_period"] == "2026-01" and body["next_cursor"] is None
    items = body["items"]
    assert [i["area_code"] for i in items] == ["21.71.06.1004", "21.71.06.1006", "21.71.06.1005"]
    assert [i["rank"] for i in items] == [1, 2, 3]
    assert items[0]["change"] == pytest.approx(-10.0) and items[0]["trend"] == "worsening"
    assert items[1]["previous_value"] is None and items[1]["trend"] is None
    assert items[2]["trend"] == "improving" and items[2]["meets_target"] is True


def test_national_rollup_and_ranking_of_provinces(loaded):
    assert loaded.post("/api/v1/areas", json={"code": "64", "name": "Kalimantan Timur", "level": "provinsi"},
                       headers=ADMIN).status_code == 201
    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 18, 20), ds("64", "2026-01", 30, 100),
                         ds("64", "2026-02", 60, 100)])
    body = loaded.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "ID", "period": "2026Q1"},
                      headers=AGENCY).json()
    assert body["area"] == "ID" and body["numerator"] == 108 and body["denominator"] == 220
    assert body["reports"] == 3 and body["meets_target"] is False
    assert [c["area_code"] for c in body["children"]] == ["21", "64"]
    ranked = loaded.get("/api/v1/ranking", params={"indicator": "POSYANDU_DS", "area": "ID", "period": "2026-02"},
                        headers=ADMIN).json()
    assert [(i["area_code"], i["value"]) for i in ranked["items"]] == [("64", 60.0), ("21", None)]
    assert ranked["items"][0]["change"] == pytest.approx(30.0)
    # The nation's code is reserved.
    taken = loaded.post("/api/v1/areas", json={"code": "ID", "name": "Indonesia", "level": "provinsi"}, headers=ADMIN)
    assert taken.status_code == 422 and taken.json()["detail"][0]["loc"] == ["body", "code"]


def test_csv_import(loaded):
    text = ("indicator_code,area_code,period,numerator,denominator,value\n"
            "POSYANDU_DS,PY-MAWAR-X,2026-01,18,20,\n"
            "POSYANDU_DS,PY-MAWAR-12,2026-01,abc,20,\n"
            "POSYANDU_DS,PY-MAWAR-12,2026-01,10,20,50\n")
    response = loaded.post("/api/v1/import/csv", content=text.encode(), headers={**ADMIN, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [(1, "numerator")]
    missing = loaded.post("/api/v1/import/csv", content=b"area_code,period\nx,2026\n", headers=ADMIN)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "indicator_code"]


# --- events ------------------------------------------------------------------------------


def outbox_events(client) -> list[dict]:
    with client.app.state.engine.connect() as conn:
        return [json.loads(body) for body in conn.execute(select(outbox.c.body).order_by(outbox.c.id)).scalars()]


def test_below_target_once_then_recovered(loaded):
    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 10, 20)])  # 50% < 80%
    events = outbox_events(loaded)
    assert {(e["type"], e["subject"]) for e in events} == {
        ("indicator.below_target", code) for code in ("21", "21.71", "21.71.06", "21.71.06.1004")}
    event = next(e for e in events if e["subject"] == "21.71.06.1004")
    assert event["source"] == "/indicators" and event["specversion"] == "1.0"
    assert event["data"]["indicator"]["code"] == "POSYANDU_DS" and event["data"]["period"] == "2026-01"
    assert event["data"]["value"] == pytest.approx(50.0) and event["data"]["target"] == 80
    assert event["data"]["area"]["ancestor_codes"] == ["21", "21.71", "21.71.06"]

    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 12, 20)])  # still below: nothing new
    assert len(outbox_events(loaded)) == 4

    post_values(loaded, [ds("PY-MAWAR-12", "2026-01", 20, 20), ds("21.71.06.1005", "2026-01", 10, 10)])
    recovered = [e for e in outbox_events(loaded) if e["type"] == "indicator.recovered"]
    # Baloi Permai: (12 + 20) / 40 = 80%: met; the kecamatan and above: 42/50 = 84%.
    assert {e["subject"] for e in recovered} == {"21", "21.71", "21.71.06", "21.71.06.1004"}
    assert all(e["data"]["meets_target"] is True for e in recovered)

    post_values(loaded, [ds("PY-MAWAR-12", "2026-01", 20, 20)])  # unchanged: nothing new
    assert len(outbox_events(loaded)) == 8


def test_lower_is_better_target(loaded):
    post_values(loaded, [{"indicator_code": "DBD_IR", "area_code": "21.71.06.1006", "period": "2026-02",
                          "numerator": 3, "denominator": 20_000}])  # 15 per 100k > 10
    types = {(e["type"], e["subject"]) for e in outbox_events(loaded)}
    assert ("indicator.below_target", "21.71.06.1006") in types


def test_descendants_are_one_index_range(loaded):
    """The subtree read is a range on ix_areas_path on both databases (not a scan of all areas)."""
    engine = loaded.app.state.engine
    query = select(Area.code).where(descendant_filter(engine.dialect.name, Area.path, "/21/21.71/"))
    with engine.connect() as conn:
        assert sorted(conn.execute(query).scalars()) == sorted(a["code"] for a in BATAM[1:])
        compiled = query.compile(engine)
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        else:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())))
    assert "ix_areas_path" in plan, plan


# --- area targets and effectiveness ------------------------------------------------------


def test_area_target_overrides_the_indicator_target_beneath_it(loaded):
    post_values(loaded, [ds("21.71.06.1004", "2026-01", 75, 100)])
    params = {"indicator": "POSYANDU_DS", "area": "21.71.06", "period": "2026-01"}
    assert loaded.get("/api/v1/rollup", params=params, headers=ADMIN).json()["meets_target"] is False
    assert loaded.put("/api/v1/indicators/POSYANDU_DS/targets/21.71", json={"target": 70},
                      headers=PUSKESMAS).status_code == 403
    response = loaded.put("/api/v1/indicators/POSYANDU_DS/targets/21.71", json={"target": 70}, headers=ADMIN)
    assert response.status_code == 200, response.text
    body = loaded.get("/api/v1/rollup", params=params, headers=ADMIN).json()
    assert body["target"] == 70 and body["meets_target"] is True
    assert body["children"][0]["target"] == 70
    national = loaded.get("/api/v1/rollup", params={**params, "area": "21"}, headers=ADMIN).json()
    assert national["target"] == 80
    listed = loaded.get("/api/v1/indicators/POSYANDU_DS/targets", headers=AGENCY).json()
    assert listed["items"] == [{"indicator_code": "POSYANDU_DS", "area_code": "21.71", "target": 70}]
    assert loaded.put("/api/v1/indicators/POSYANDU_DS/targets/none", json={"target": 1},
                      headers=ADMIN).status_code == 404


def test_effectiveness_before_and_after_a_completed_follow_up(loaded):
    post_values(loaded, [ds("PY-MAWAR-X", "2026-02", 10, 20), ds("PY-MAWAR-X", "2026-04", 18, 20)])
    followup = {"id": 5, "puskesmas_id": 1, "title": "Naikkan D/S posyandu", "area_code": "21.71.06.1004",
                "indicator_code": "POSYANDU_DS", "status": "done"}
    event = new_event("followup.completed", "/meetings", 5, {"followup": followup},
                      time=datetime(2026, 3, 20, 3, 0, tzinfo=UTC))
    consumer = EventConsumer("indicators", loaded.app.state.engine, inbox, handlers, "amqp://unused")
    assert consumer.handle(event) == "handled"
    assert consumer.handle(event) == "duplicate"
    other = new_event("followup.completed", "/meetings", 6, {"followup": {**followup, "id": 6,
                                                                          "indicator_code": "DBD_IR"}})
    assert consumer.handle(other) == "handled"

    body = loaded.get("/api/v1/effectiveness", params={"indicator": "POSYANDU_DS", "area": "21.71.06"},
                      headers=PUSKESMAS).json()
    assert len(body["items"]) == 1 and body["next_cursor"] is None
    item = body["items"][0]
    assert (item["followup_id"], item["period_before"], item["period_after"]) == ("5", "2026-02", "2026-04")
    assert item["value_before"] == pytest.approx(50.0) and item["value_after"] == pytest.approx(90.0)
    assert item["trend"] == "improving"
    assert loaded.get("/api/v1/effectiveness", params={"indicator": "POSYANDU_DS", "area": "21.71.06.1005"},
                      headers=ADMIN).json()["items"] == []


# --- DHIS2 import and FHIR export --------------------------------------------------------


def test_dhis2_data_value_sets(loaded):
    body = {
        "dataSet": "pBOMPrpg1QX",
        "dataValues": [
            {"dataElement": "dD", "period": "202601", "orgUnit": "ouMawarX", "value": "18"},
            {"dataElement": "dS", "categoryOptionCombo": "all", "period": "202601", "orgUnit": "ouMawarX",
             "value": "20"},
            {"dataElement": "dD", "period": "202601", "orgUnit": "PY-MAWAR-12", "value": "5"},  # no S
            {"dataElement": "unknown", "period": "202601", "orgUnit": "ouMawarX", "value": "1"},
            {"dataElement": "dD", "period": "202602", "orgUnit": "ouNowhere", "value": "1"},
            {"dataElement": "dS.all", "period": "202602", "orgUnit": "ouNowhere", "value": "2"},
        ],
        "mapping": {
            "dataElements": {"dD": {"indicator_code": "POSYANDU_DS", "part": "numerator"},
                             "dS.all": {"indicator_code": "POSYANDU_DS", "part": "denominator"}},
            "orgUnits": {"ouMawarX": "PY-MAWAR-X", "ouNowhere": "NOWHERE"},
        },
    }
    response = loaded.post("/api/v1/import/dhis2", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 1
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (2, "denominator"), (3, "dataElement"), (4, "area_code"), (5, "area_code")]
    rollup = loaded.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "PY-MAWAR-X",
                                                  "period": "2026-01"}, headers=ADMIN).json()
    assert rollup["value"] == pytest.approx(90.0)
    bad = loaded.post("/api/v1/import/dhis2", json={"dataValues": [], "mapping": {"dataElements": {
        "x": {"indicator_code": "A", "part": "half"}}}}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:3] == ["body", "mapping", "dataElements"]
    assert loaded.post("/api/v1/import/dhis2", json={"values": []}, headers=ADMIN).status_code == 422


def test_fhir_measure_report_is_valid_r4(loaded):
    measure_report = pytest.importorskip("fhir.resources.R4B.measurereport")
    post_values(loaded, [ds("PY-MAWAR-X", "2026-01", 18, 20), ds("21.71.06.1005", "2026-02", 45, 50)])
    response = loaded.get("/api/v1/fhir/MeasureReport", params={"indicator": "POSYANDU_DS", "area": "21.71.06",
                                                                "period": "2026Q1"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    report = measure_report.MeasureReport.model_validate(response.json())
    assert report.status == "complete" and report.type == "summary"
    assert str(report.period.start) == "2026-01-01" and str(report.period.end) == "2026-03-31"
    group = report.group[0]
    assert float(group.measureScore.value) == pytest.approx(63 / 70 * 100, rel=1e-5)
    assert {p.code.coding[0].code: p.count for p in group.population} == {"numerator": 63, "denominator": 70}
    assert len(group.stratifier[0].stratum) == 3


# --- bad input is a 4xx, never a 500 ----------------------------------------------------


@pytest.mark.parametrize("cursor", ["bm90LWpzb24", "W10", "WzEsMl0", "WzFd"])  # not JSON, [], [1,2], [1]
def test_forged_cursors_are_422(loaded, cursor):
    for path in ("/api/v1/areas", "/api/v1/indicators"):
        assert loaded.get(path, params={"cursor": cursor}, headers=ADMIN).status_code == 422
    effectiveness = loaded.get("/api/v1/effectiveness", params={"indicator": "POSYANDU_DS", "area": "21",
                                                                "cursor": "WyJ4Il0"}, headers=ADMIN)
    assert effectiveness.status_code == 422


def test_extreme_numbers_are_rejected_or_harmless(loaded):
    rows = [ds("PY-MAWAR-X", "2026-01", 1e13, 1e13),
            {"indicator_code": "DBD_IR", "area_code": "PY-MAWAR-X", "period": "2026-01", "numerator": 1e12,
             "denominator": 1e-300}]
    result = post_values(loaded, rows)
    assert [r["index"] for r in result["rejected"]] == [0]
    body = loaded.get("/api/v1/rollup", params={"indicator": "DBD_IR", "area": "21", "period": "2026"},
                      headers=ADMIN)
    assert body.status_code == 200 and body.json()["value"] is None


def test_broken_csv_is_422(loaded):
    response = loaded.post("/api/v1/import/csv", content=b"indicator_code,area_code,period,numerator\n\x00,a,b,c\n",
                           headers=ADMIN)
    assert response.status_code in (200, 422)
    assert loaded.post("/api/v1/import/csv", content=b"\xff\xfe", headers=ADMIN).status_code == 422


def test_a_new_area_target_is_rechecked_by_the_worker_task(loaded):
    post_values(loaded, [ds("21.71.06.1004", "2026-01", 85, 100), ds("21.71.06.1005", "2026-02", 95, 100)])
    assert outbox_events(loaded) == []  # 85% and 95% meet 80%
    assert loaded.put("/api/v1/indicators/POSYANDU_DS/targets/21.71.06", json={"target": 90},
                      headers=ADMIN).status_code == 200
    assert recheck_targets("POSYANDU_DS", "21.71.06") == 2  # the task a worker runs after the PUT
    below = {(e["subject"], e["data"]["period"]) for e in outbox_events(loaded)}
    assert below == {("21.71.06", "2026-01"), ("21.71.06.1004", "2026-01")}
    assert recheck_targets("POSYANDU_DS", "21.71.06") == 0  # once
