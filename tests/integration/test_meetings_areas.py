"""Areas and escalation targets between tenants: an agency works inside its puskesmas's area
(so it cannot divert another puskesmas's proposals), and an escalation policy names only agencies
of its own puskesmas or shared ones (its dinas kesehatan)."""

from __future__ import annotations

import pytest
from minilok_meetings import models
from minilok_meetings.handlers import handlers
from minilok_shared.events.consumer import EventConsumer
from minilok_shared.events.envelope import new_event
from sqlalchemy import insert


def create(api, path, body, headers=None):
    response = api.post(f"/api/v1/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def puskesmas(api, code, area_code):
    return create(api, "puskesmas", {"code": code, "name": f"Puskesmas {code}", "timezone": "Asia/Jakarta",
                                     "area_code": area_code, "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})


@pytest.fixture
def two(meetings_api):
    api = meetings_api
    baloi, sekupang = puskesmas(api, "BP01", "21.71.06"), puskesmas(api, "SK01", "21.71.07")
    return {"api": api, "baloi": baloi, "sekupang": sekupang,
            "baloi_token": api.headers("puskesmas", puskesmas_id=baloi),
            "sekupang_token": api.headers("puskesmas", puskesmas_id=sekupang)}


def assert_names(response, *loc):
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", *loc]


def test_an_agency_area_lies_within_its_puskesmas_area(two):
    api, token = two["api"], two["sekupang_token"]
    kelurahan = {"name": "Kelurahan Tanjung Riau", "kind": "kelurahan"}
    # Baloi Permai's kelurahan, and a string prefix that is another kecamatan.
    for outside in ("21.71.06.1004", "21.71.071", "21.71"):
        assert_names(api.post("/api/v1/agencies", json={**kelurahan, "area_code": outside}, headers=token),
                     "area_code")
        assert_names(api.post("/api/v1/agencies", json={**kelurahan, "area_code": outside,
                                                        "puskesmas_id": two["sekupang"]}), "area_code")
    own = create(api, "agencies", {**kelurahan, "area_code": "21.71.07.1001"}, token)
    assert create(api, "agencies", {**kelurahan, "area_code": "21.71.07"}, token)
    assert_names(api.patch(f"/api/v1/agencies/{own}", json={"area_code": "21.71.06.1004"}, headers=token),
                 "area_code")
    assert_names(api.patch(f"/api/v1/agencies/{own}", json={"area_code": "21.71.06.1004"}), "area_code")
    assert api.get(f"/api/v1/agencies/{own}").json()["area_code"] == "21.71.07.1001"
    response = api.patch(f"/api/v1/agencies/{own}", json={"area_code": "21.71.07.1001.RW02"}, headers=token)
    assert response.status_code == 200 and response.json()["area_code"] == "21.71.07.1001.RW02"
    # A shared agency (a dinas kesehatan, no puskesmas) covers whatever it covers.
    dinas = create(api, "agencies", {"name": "Dinas Kesehatan Kota Batam", "kind": "dinas_kesehatan",
                                     "area_code": "21.71"})
    assert api.patch(f"/api/v1/agencies/{dinas}", json={"area_code": "21"}).status_code == 200


def test_an_agency_area_cannot_pull_another_puskesmas_proposals(two):
    api = two["api"]
    consumer = EventConsumer("meetings", api.client.app.state.engine, models.inbox, handlers, "amqp://unused")
    # A row written before the rule: Sekupang's agency claiming Baloi Permai's kelurahan.
    with api.client.app.state.engine.begin() as conn:
        conn.execute(insert(models.Agency).values(name="Kelurahan palsu", kind="kelurahan",
                                                  puskesmas_id=two["sekupang"], area_code="21.71.06.1004"))
    # Sekupang's own kelurahan, inside its own area, is more specific than nobody's.
    create(api, "agencies", {"name": "Kelurahan Tanjung Riau", "kind": "kelurahan", "area_code": "21.71.07.1001"},
           two["sekupang_token"])
    for area in ("21.71.06.1004", "21.71.06.1004.RW03", "21.71.07.1001.RW01"):
        event = new_event("indicator.below_target", "/indicators", area, {
            "indicator": {"code": "DS_POSYANDU"}, "area": {"code": area}, "period": "2026-01"})
        assert consumer.handle(event) == "handled"
    by_area = {p["area_code"]: p["puskesmas_id"] for p in api.get("/api/v1/proposals").json()["items"]}
    assert by_area == {"21.71.06.1004": two["baloi"], "21.71.06.1004.RW03": two["baloi"],
                       "21.71.07.1001.RW01": two["sekupang"]}


def test_two_puskesmas_in_one_kecamatan_are_told_apart_by_their_agencies(meetings_api):
    api = meetings_api
    first, second = puskesmas(api, "A01", "21.71.06"), puskesmas(api, "B01", "21.71.06")
    create(api, "agencies", {"name": "Kelurahan Baloi Permai", "kind": "kelurahan", "puskesmas_id": second,
                             "area_code": "21.71.06.1004"})
    consumer = EventConsumer("meetings", api.client.app.state.engine, models.inbox, handlers, "amqp://unused")
    for area in ("21.71.06.1004.RW03", "21.71.06.1005"):
        consumer.handle(new_event("indicator.below_target", "/indicators", area, {
            "indicator": {"code": "DS_POSYANDU"}, "area": {"code": area}, "period": "2026-01"}))
    by_area = {p["area_code"]: p["puskesmas_id"] for p in api.get("/api/v1/proposals").json()["items"]}
    assert by_area == {"21.71.06.1004.RW03": second, "21.71.06.1005": first}


def test_escalation_names_only_agencies_of_the_puskesmas_or_shared_ones(two):
    api, token = two["api"], two["baloi_token"]
    url = f"/api/v1/escalation-policies/{two['baloi']}"
    own = create(api, "agencies", {"name": "Kecamatan Batam Kota", "kind": "kecamatan"}, token)
    dinas = create(api, "agencies", {"name": "Dinas Kesehatan Kota Batam", "kind": "dinas_kesehatan"})
    other = create(api, "agencies", {"name": "Kecamatan Sekupang", "kind": "kecamatan"}, two["sekupang_token"])

    def policy(*notify):
        return {"steps": [{"after": f"P{i}D", "notify": n} for i, n in enumerate(notify)]}

    for bad in (f"agency:{other}", "agency:999999", "agency:99999999999999999999"):
        response = api.put(url, json=policy("owner", bad), headers=token)
        assert_names(response, "steps", 1, "notify")
        assert "lembaga" in response.json()["detail"][0]["msg"]
    assert api.put(url, json=policy(f"agency:{other}")).status_code == 422  # not for an admin either
    assert api.get(url, headers=token).json()["is_default"] is True
    response = api.put(url, json=policy("owner", f"agency:{own}", f"agency:{dinas}", "puskesmas"), headers=token)
    assert response.status_code == 200, response.text
    assert [s["notify"] for s in response.json()["steps"]] == ["owner", f"agency:{own}", f"agency:{dinas}",
                                                                "puskesmas"]


def test_a_puskesmas_cannot_move_its_own_agency_away_from_the_dinas(two):
    api, token = two["api"], two["baloi_token"]
    dinas = create(api, "agencies", {"name": "Dinas Kesehatan Kota Batam", "kind": "dinas_kesehatan"})
    head = create(api, "agencies", {"name": "Puskesmas Baloi Permai", "kind": "puskesmas", "parent_id": dinas,
                                    "puskesmas_id": two["baloi"]})
    kelurahan = create(api, "agencies", {"name": "Kelurahan Baloi Indah", "kind": "kelurahan"}, headers=token)
    for parent in (None, kelurahan):
        moved = api.patch(f"/api/v1/agencies/{head}", json={"parent_id": parent}, headers=token)
        assert moved.status_code == 403, moved.text
    assert api.get(f"/api/v1/agencies/{head}").json()["parent_id"] == dinas
    renamed = api.patch(f"/api/v1/agencies/{head}", json={"name": "UPT Puskesmas Baloi Permai", "parent_id": dinas},
                        headers=token)
    assert renamed.status_code == 200  # the same parent again, or other fields, stay the puskesmas's own
    assert api.patch(f"/api/v1/agencies/{kelurahan}", json={"parent_id": head}, headers=token).status_code == 200
    assert api.patch(f"/api/v1/agencies/{head}", json={"parent_id": None}).status_code == 200  # an admin may
