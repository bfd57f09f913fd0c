"""End to end, the loop Minilok exists for: indicator values imported as CSV fall short of
target → `indicator.below_target` → an agenda proposal in meetings for the worst kelurahan →
a follow-up on it completes → the indicators service shows the value before and after."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest
from support import BIN, wait_for

pytestmark = pytest.mark.e2e


def month(offset: int) -> str:
    today = datetime.now(UTC)
    index = today.year * 12 + today.month - 1 + offset
    return f"{index // 12}-{index % 12 + 1:02d}"


def csv_rows(period: str, weighed: dict[str, int]) -> str:
    lines = ["indicator_code,area_code,period,numerator,denominator"]
    lines += [f"POSYANDU_DS,{code},{period},{d},100" for code, d in weighed.items()]
    return "\n".join(lines) + "\n"


def test_csv_import_to_proposal_to_completed_follow_up_to_before_and_after(system):
    system.start_all()
    subprocess.run([str(BIN / "minilok"), "indicators", "load-catalogue"], env=system.procs.env, check=True,
                   capture_output=True)
    indicators = system.client("indicators")
    areas = [
        {"code": "21", "name": "Kepulauan Riau", "level": "provinsi"},
        {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21"},
        {"code": "21.71.06", "name": "Batam Kota", "level": "kecamatan", "parent_code": "21.71"},
        {"code": "21.71.06.1001", "name": "Baloi Permai", "level": "kelurahan", "parent_code": "21.71.06"},
        {"code": "21.71.06.1003", "name": "Sukajadi", "level": "kelurahan", "parent_code": "21.71.06"},
        {"code": "21.71.06.1001.P01", "name": "Posyandu Mawar X", "level": "posyandu",
         "parent_code": "21.71.06.1001"},
        {"code": "21.71.06.1003.P01", "name": "Posyandu Pelangi Aspol", "level": "posyandu",
         "parent_code": "21.71.06.1003"},
    ]
    r = indicators.post("/areas/bulk", json=areas)
    assert r.status_code == 201, r.text

    meetings = system.client("meetings")
    puskesmas = meetings.post("/puskesmas", json={
        "code": "P2171060", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta", "area_code": "21.71.06",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()
    pokjanal = meetings.post("/agencies", json={"name": "Pokjanal Posyandu Kelurahan Sukajadi", "kind": "posyandu",
                                                "puskesmas_id": puskesmas["id"]}).json()
    meeting = meetings.post("/meetings", json={
        "puskesmas_id": puskesmas["id"], "kind": "monthly_internal", "title": "Lokakarya mini bulanan",
        "scheduled_at": "2026-12-07T09:00:00+07:00"}).json()

    before, after = month(-1), month(1)
    r = indicators.post("/import/csv", content=csv_rows(before, {"21.71.06.1001.P01": 88, "21.71.06.1003.P01": 61}),
                        headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["accepted"] == 2 and r.json()["rejected"] == [], r.text

    ranking = indicators.get("/ranking", params={"indicator": "POSYANDU_DS", "area": "21.71.06",
                                                 "period": before}).json()
    ranked = [c["area_code"] for c in ranking["items"]]
    assert ranked == ["21.71.06.1003", "21.71.06.1001"]  # worst first

    def sukajadi_proposal():
        items = meetings.get("/proposals", params={"puskesmas_id": puskesmas["id"]}).json()["items"]
        return [p for p in items if p["area_code"] == "21.71.06.1003" and p["indicator_code"] == "POSYANDU_DS"]

    (proposal,) = wait_for(sukajadi_proposal, 30, message="a proposal for Sukajadi")
    assert proposal["period"] == before
    r = meetings.post(f"/proposals/{proposal['id']}/accept", json={"meeting_id": meeting["id"]})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    agenda = meetings.get(f"/meetings/{meeting['id']}").json()["agenda"]
    assert [a["indicator_code"] for a in agenda] == ["POSYANDU_DS"]

    r = meetings.post(f"/meetings/{meeting['id']}/follow-ups", json={
        "title": "Sweeping balita tidak ditimbang di Posyandu Pelangi Aspol", "owner_agency_id": pokjanal["id"],
        "due_in_working_days": 10, "indicator_code": "POSYANDU_DS", "area_code": "21.71.06.1003"})
    followup = r.json()
    assert meetings.post(f"/follow-ups/{followup['id']}/start").status_code == 200
    assert meetings.post(f"/follow-ups/{followup['id']}/complete", json={"note": "Kunjungan rumah"}).status_code == 200

    r = indicators.post("/import/csv", content=csv_rows(after, {"21.71.06.1001.P01": 90, "21.71.06.1003.P01": 84}),
                        headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text

    def effect():
        items = indicators.get("/effectiveness", params={"indicator": "POSYANDU_DS",
                                                         "area": "21.71.06.1003"}).json()["items"]
        return [e for e in items if str(e.get("followup_id")) == str(followup["id"])]

    (result,) = wait_for(effect, 30, message="the completed follow-up in effectiveness")
    assert result["period_before"] == before and result["period_after"] == after
    assert result["value_before"] == pytest.approx(61.0) and result["value_after"] == pytest.approx(84.0)
    assert result["change"] == pytest.approx(23.0)
