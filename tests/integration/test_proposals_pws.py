"""From a CSV of three months of SPM values to PWS statuses to exactly the expected proposals in
meetings: only the areas falling behind (jelek, cukup), at most three per indicator and period
for a puskesmas, the furthest from the pro-rated target first; an import again changes nothing."""

from __future__ import annotations

import pytest
from minilok_shared.events.envelope import new_event

from tests.integration.test_indicators_api import ADMIN, BATAM, client, outbox_events  # noqa: F401
from tests.integration.test_meetings_proposals import loop, proposals  # noqa: F401

KEL = {"21.71.06.1004": (10, 10, 10),  # 25 % by March against 25 %: baik
       "21.71.06.1005": (10, 12, 8),   # on track, March lower: kurang
       "21.71.06.1006": (5, 5, 7),     # behind, March higher: cukup
       "21.71.06.1007": (5, 4, 3),     # behind and falling: jelek
       "21.71.06.1008": (9, 9, 9)}     # a little behind (22.5 % against 25 %): jelek, the mildest
EXTRA = [{"code": "21.71.06.1007", "name": "Sukajadi", "level": "kelurahan", "parent_code": "21.71.06"},
         {"code": "21.71.06.1008", "name": "Sungai Panas", "level": "kelurahan", "parent_code": "21.71.06"}]
SPM = {"code": "SPM_BUMIL", "name": "Pelayanan kesehatan ibu hamil sesuai standar", "unit": "percent",
       "target": 100, "direction": "higher_is_better", "period_type": "monthly",
       "denominator_aggregation": "mean", "target_basis": "cumulative"}


def csv_text() -> bytes:
    lines = ["indicator_code,area_code,period,numerator,denominator"]
    lines += [f"SPM_BUMIL,{area},2026-{m:02d},{served[m - 1]},120" for area, served in KEL.items() for m in (1, 2, 3)]
    return ("\n".join(lines) + "\n").encode()


def import_csv(client):  # noqa: F811
    response = client.post("/api/v1/import/csv", content=csv_text(), headers={**ADMIN, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 15 and response.json()["rejected"] == []


def test_csv_to_pws_statuses_to_exactly_the_expected_proposals(client, loop):  # noqa: F811
    assert client.post("/api/v1/areas/bulk", json=[*BATAM, *EXTRA], headers=ADMIN).status_code == 201
    assert client.post("/api/v1/indicators", json=SPM, headers=ADMIN).status_code == 201
    import_csv(client)

    ranking = client.get("/api/v1/ranking", params={"indicator": "SPM_BUMIL", "area": "21.71.06",
                                                    "period": "2026-03"}, headers=ADMIN).json()
    assert [(i["area_code"], i["pws_status"]) for i in ranking["items"]] == [
        ("21.71.06.1007", "jelek"), ("21.71.06.1006", "cukup"), ("21.71.06.1008", "jelek"),
        ("21.71.06.1004", "baik"), ("21.71.06.1005", "kurang")]

    events = outbox_events(client)
    assert {e["data"]["pws_status"] for e in events if e["type"] == "indicator.below_target"} <= {"jelek", "cukup"}
    for event in events:
        assert loop["consumer"].handle(event) in ("handled", "duplicate")
    made = sorted((p["period"], p["area_code"]) for p in proposals(loop, status="proposed"))
    # Per month the three furthest from the month's target: Sukajadi, Belian and the puskesmas's
    # kecamatan as a whole; Sungai Panas (a tenth short) is not among them; nobody on track.
    assert made == sorted((f"2026-{m:02d}", area) for m in (1, 2, 3)
                          for area in ("21.71.06", "21.71.06.1006", "21.71.06.1007"))
    march = {p["area_code"]: p for p in proposals(loop) if p["period"] == "2026-03"}
    assert march["21.71.06.1007"]["target"] == pytest.approx(25)  # the pro-rated target, not 100
    assert (march["21.71.06.1007"]["pws_status"], march["21.71.06.1006"]["pws_status"]) == ("jelek", "cukup")
    assert "(10 < 25)" in march["21.71.06.1007"]["title"]

    # The same CSV again: no event, so no proposal.
    count = len(events)
    import_csv(client)
    assert len(outbox_events(client)) == count
    assert len(proposals(loop, status="proposed")) == 9


def event(area, value, *, status="jelek", period="2026-03"):
    return new_event("indicator.below_target", "/indicators", area, {
        "indicator": {"code": "SPM_BUMIL", "name": "Pelayanan ibu hamil", "direction": "higher_is_better"},
        "area": {"code": area, "name": f"Kelurahan {area}", "ancestor_codes": ["21", "21.71", "21.71.06"]},
        "period": period, "value": value, "target": 100, "target_for_period": 25, "pws_status": status,
        "meets_target": False})


def test_a_worse_area_takes_the_place_of_the_mildest_and_a_milder_one_is_not_proposed(loop):  # noqa: F811
    handle = loop["consumer"].handle
    for area, value in (("21.71.06.1001", 24), ("21.71.06.1002", 20), ("21.71.06.1003", 15)):
        assert handle(event(area, value)) == "handled"
    assert handle(event("21.71.06.1004", 5, status="cukup")) == "handled"  # the worst so far
    assert handle(event("21.71.06.1005", 23)) == "handled"                # milder than all three
    assert handle(event("21.71.06.1006", 30, status="kurang")) == "handled"  # meets: never proposed
    waiting = {p["area_code"]: p["value"] for p in proposals(loop, status="proposed")}
    assert waiting == {"21.71.06.1002": 20, "21.71.06.1003": 15, "21.71.06.1004": 5}
    # Another period has its own three.
    assert handle(event("21.71.06.1001", 24, period="2026-04")) == "handled"
    assert {p["area_code"] for p in proposals(loop) if p["period"] == "2026-04"} == {"21.71.06.1001"}
