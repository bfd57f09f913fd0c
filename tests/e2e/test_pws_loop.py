"""End to end with the real processes, the PWS way: three months of SPM ibu hamil for Batam
Kota's kelurahan imported as CSV → cumulative coverage against the pro-rated target, a PWS status
per kelurahan → `indicator.below_target` only from the areas falling behind → exactly the
expected proposals in meetings; the same CSV again changes nothing."""

from __future__ import annotations

import subprocess

import pytest
from support import BIN, wait_for

from tests.integration.test_indicators_api import BATAM
from tests.integration.test_proposals_pws import EXTRA, csv_text

pytestmark = pytest.mark.e2e

EXPECTED = sorted((f"2026-{m:02d}", area) for m in (1, 2, 3)
                  for area in ("21.71.06", "21.71.06.1006", "21.71.06.1007"))


def test_spm_csv_to_pws_statuses_to_exactly_the_expected_proposals(system):
    system.start_all()
    subprocess.run([str(BIN / "minilok"), "indicators", "load-catalogue"], env=system.procs.env, check=True,
                   capture_output=True)
    indicators, meetings = system.client("indicators"), system.client("meetings")
    assert indicators.post("/areas/bulk", json=[*BATAM, *EXTRA]).status_code == 201
    spm = indicators.get("/indicators/SPM_BUMIL").json()
    assert spm["target_basis"] == "cumulative", spm  # the catalogue's own entry, not a test's
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P2171060", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta", "area_code": "21.71.06",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()

    def import_csv():
        r = indicators.post("/import/csv", content=csv_text(), headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json()["accepted"] == 15 and r.json()["rejected"] == [], r.text

    import_csv()
    ranking = indicators.get("/ranking", params={"indicator": "SPM_BUMIL", "area": "21.71.06",
                                                 "period": "2026-03"}).json()
    assert [(i["area_code"], i["pws_status"]) for i in ranking["items"]] == [
        ("21.71.06.1007", "jelek"), ("21.71.06.1006", "cukup"), ("21.71.06.1008", "jelek"),
        ("21.71.06.1004", "baik"), ("21.71.06.1005", "kurang")]
    on_track = next(i for i in ranking["items"] if i["area_code"] == "21.71.06.1004")
    # 30 of a sasaran of 120 by March: 25 % against the target pro-rated to March (25), not 8 % against 100.
    assert on_track["value"] == pytest.approx(25) and on_track["target_for_period"] == pytest.approx(25)

    def made():
        items = meetings.get("/proposals", params={"puskesmas_id": puskesmas["id"], "limit": 100}).json()["items"]
        return sorted((p["period"], p["area_code"]) for p in items if p["indicator_code"] == "SPM_BUMIL")

    wait_for(lambda: made() == EXPECTED, 60, message="the nine proposals")
    march = {p["area_code"]: p for p in meetings.get("/proposals", params={
        "puskesmas_id": puskesmas["id"], "limit": 100}).json()["items"] if p["period"] == "2026-03"}
    assert march["21.71.06.1007"]["target"] == pytest.approx(25)
    assert (march["21.71.06.1007"]["pws_status"], march["21.71.06.1006"]["pws_status"]) == ("jelek", "cukup")

    # The same CSV again, then April for Sukajadi: once April's proposal is in, anything the
    # repeat had sent would be too (one relay, one queue). Nothing came of the repeat.
    import_csv()
    r = indicators.post("/import/csv", content=b"indicator_code,area_code,period,numerator,denominator\n"
                        b"SPM_BUMIL,21.71.06.1007,2026-04,3,120\n", headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    wait_for(lambda: ("2026-04", "21.71.06.1007") in made(), 60, message="April's proposal for Sukajadi")
    assert [p for p in made() if p[0] != "2026-04"] == EXPECTED
