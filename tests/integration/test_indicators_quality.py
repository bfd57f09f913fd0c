"""Completeness and outliers through the API, on SQLite or PostgreSQL (MINILOK_TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest
from minilok_indicators.domain.outliers import MIN_HISTORY
from test_indicators_api import ADMIN, AGENCY, DS, client, post_values  # noqa: F401 (client: the fixture)


@pytest.fixture
def api(client):  # noqa: F811
    return client


AREAS = [
    {"code": "21", "name": "Kepulauan Riau", "level": "provinsi"},
    {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21"},
    {"code": "21.71.06", "name": "Batam Kota", "level": "kecamatan", "parent_code": "21.71"},
    {"code": "21.71.07", "name": "Sekupang", "level": "kecamatan", "parent_code": "21.71"},
    *({"code": f"21.71.06.10{i:02d}", "name": f"Kelurahan A{i}", "level": "kelurahan", "parent_code": "21.71.06"}
      for i in range(1, 5)),
    *({"code": f"21.71.07.10{i:02d}", "name": f"Kelurahan B{i}", "level": "kelurahan", "parent_code": "21.71.07"}
      for i in range(1, 3)),
    # loaded beneath a kelurahan, but D/S is reported by the kelurahan: not a reporting area
    {"code": "PY-1", "name": "Posyandu Mawar", "level": "posyandu", "parent_code": "21.71.06.1001"},
]


def ds(area: str, period: str, percent: float) -> dict:
    return {"indicator_code": "POSYANDU_DS", "area_code": area, "period": period, "numerator": percent,
            "denominator": 100}


def loaded(api):
    """The areas and the D/S indicator in a fresh indicators service."""
    assert api.post("/api/v1/areas/bulk", json=AREAS, headers=ADMIN).status_code == 201
    assert api.post("/api/v1/indicators", json=DS, headers=ADMIN).status_code == 201
    return api


def test_completeness_counts_the_areas_at_the_reporting_level(api):
    loaded(api)
    post_values(api, [ds("21.71.06.1001", "2026-03", 80), ds("21.71.06.1002", "2026-03", 70),
                         ds("21.71.07.1001", "2026-03", 90), ds("21.71.06.1003", "2026-02", 60)])
    got = api.get("/api/v1/completeness", params={"indicator": "POSYANDU_DS", "area": "21.71",
                                                     "period": "2026-03"}, headers=AGENCY).json()
    assert (got["expected"], got["reported"], got["percent"], got["level"]) == (6, 3, 50.0, "kelurahan")
    assert got["missing"] == ["21.71.06.1003", "21.71.06.1004", "21.71.07.1002"] and got["missing_count"] == 3
    assert got["missing_areas"][0] == {"code": "21.71.06.1003", "name": "Kelurahan A3"}
    quarter = api.get("/api/v1/completeness", params={"indicator": "POSYANDU_DS", "area": "21.71.06",
                                                         "period": "2026Q1", "missing_limit": 1}, headers=AGENCY).json()
    assert (quarter["expected"], quarter["reported"], quarter["percent"]) == (4, 3, 75.0)
    assert quarter["missing"] == ["21.71.06.1004"] and quarter["missing_count"] == 1
    nation = api.get("/api/v1/completeness", params={"indicator": "POSYANDU_DS", "area": "ID",
                                                        "period": "2026-03"}, headers=AGENCY).json()
    assert (nation["expected"], nation["reported"]) == (6, 3)
    leaf = api.get("/api/v1/completeness", params={"indicator": "POSYANDU_DS", "area": "21.71.06.1004",
                                                      "period": "2026-03"}, headers=AGENCY).json()
    assert (leaf["expected"], leaf["reported"], leaf["missing"]) == (1, 0, ["21.71.06.1004"])
    nothing = api.get("/api/v1/completeness", params={"indicator": "POSYANDU_DS", "area": "21.71.06",
                                                         "period": "2027-06"}, headers=AGENCY).json()
    # nothing reported this period or the last: the leaves, 3 kelurahan and a posyandu
    assert (nothing["expected"], nothing["reported"], nothing["level"]) == (4, 0, None)
    assert nothing["missing"] == ["21.71.06.1002", "21.71.06.1003", "21.71.06.1004", "PY-1"]
    bad = api.get("/api/v1/completeness", params={"indicator": "POSYANDU_DS", "area": "21.71", "period": "2026-13"},
                     headers=AGENCY)
    assert bad.status_code == 422


def _outliers(api, **params):
    response = api.get("/api/v1/outliers", params={"indicator": "POSYANDU_DS", "area": "21.71", **params},
                          headers=AGENCY)
    assert response.status_code == 200, response.text
    return response.json()


def test_outlier_flagged_on_import_kept_once_and_cleared_when_corrected(api):
    loaded(api)
    steady = [80, 82, 78, 81, 79, 80, 83, 77, 80, 81, 79, 80]  # 2025-01..12, median 80, MAD 1
    post_values(api, [ds(area, f"2025-{m:02d}", v) for m, v in enumerate(steady, start=1)
                         for area in ("21.71.06.1001", "21.71.07.1001")])
    assert _outliers(api)["items"] == []  # nobody's history was long enough to judge its first months
    post_values(api, [ds("21.71.06.1001", "2026-01", 20), ds("21.71.07.1001", "2026-01", 84)])
    first = _outliers(api, period="2026-01")["items"]
    assert [(o["area_code"], o["area_name"], o["value"], o["median"]) for o in first] == [
        ("21.71.06.1001", "Kelurahan A1", 20, 80)]
    assert first[0]["score"] < -3.5
    post_values(api, [ds("21.71.06.1001", "2026-01", 20)])  # the same file again
    again = _outliers(api)["items"]
    assert len(again) == 1 and again[0]["flagged_at"] == first[0]["flagged_at"]
    assert _outliers(api, area="21.71.07")["items"] == []  # beneath the area asked only
    post_values(api, [ds("21.71.06.1001", "2026-01", 79)])  # corrected
    assert _outliers(api)["items"] == []


def test_outliers_need_history_and_page_with_a_cursor(api):
    loaded(api)
    short = [ds("21.71.06.1001", f"2025-{m:02d}", 80) for m in range(1, MIN_HISTORY)]
    post_values(api, [*short, ds("21.71.06.1001", f"2025-{MIN_HISTORY:02d}", 5)])
    assert _outliers(api)["items"] == []  # five points of history: not judged
    flat = [ds(area, f"2025-{m:02d}", 100) for m in range(1, 9) for area in ("21.71.06.1002", "21.71.06.1003")]
    post_values(api, [*flat, ds("21.71.06.1002", "2025-09", 97), ds("21.71.06.1003", "2025-09", 30),
                         ds("21.71.06.1002", "2025-10", 10)])
    page = _outliers(api, limit=1)
    assert [(o["period"], o["area_code"]) for o in page["items"]] == [("2025-10", "21.71.06.1002")]
    rest = _outliers(api, limit=1, cursor=page["next_cursor"])
    assert [(o["period"], o["area_code"], o["score"]) for o in rest["items"]] == [("2025-09", "21.71.06.1003", -1e9)]
    assert rest["next_cursor"] is None
    assert api.get("/api/v1/outliers", params={"indicator": "POSYANDU_DS", "area": "21.71", "cursor": "x"},
                      headers=AGENCY).status_code == 422
