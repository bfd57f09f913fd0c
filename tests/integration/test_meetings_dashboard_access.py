"""The dashboard's agency page shows only agencies the user may see, by the API's own rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def create(api, path, body):
    response = api.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def signed_in(api, **scope) -> TestClient:
    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    response = client.post("/login", data={"token": token, "next": "/agency"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def world(meetings_api):
    api = meetings_api
    ids = {}
    for code in ("BP01", "SK01"):
        ids[code] = create(api, "puskesmas", {"code": code, "name": f"Puskesmas {code}", "timezone": "Asia/Jakarta",
                                              "area_code": code, "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})
        ids[f"{code}-agency"] = create(api, "agencies", {"name": f"Kelurahan rahasia {code}", "kind": "kelurahan",
                                                         "puskesmas_id": ids[code]})
    ids["dinas"] = create(api, "agencies", {"name": "Dinas Kesehatan Kota Batam", "kind": "dinas_kesehatan"})
    return api, ids


def test_a_puskesmas_user_sees_only_its_own_and_shared_agencies(world):
    api, ids = world
    client = signed_in(api, role="puskesmas", puskesmas_id=ids["BP01"])
    listing = client.get("/agency")
    assert listing.status_code == 200
    assert "Kelurahan rahasia BP01" in listing.text and "Dinas Kesehatan Kota Batam" in listing.text
    assert "Kelurahan rahasia SK01" not in listing.text
    assert "Kelurahan rahasia SK01" not in client.get(f"/agency?puskesmas_id={ids['SK01']}").text
    assert client.get(f"/agency?agency_id={ids['BP01-agency']}").status_code == 200
    assert client.get(f"/agency?agency_id={ids['dinas']}").status_code == 200
    other = client.get(f"/agency?agency_id={ids['SK01-agency']}")
    assert other.status_code == 403 and "Kelurahan rahasia SK01" not in other.text
    assert client.get("/agency?agency_id=999999").status_code == 404


def test_an_agency_user_sees_only_its_own_agency(world):
    api, ids = world
    client = signed_in(api, role="agency", agency_id=ids["BP01-agency"])
    for asked in ("", f"?agency_id={ids['SK01-agency']}", f"?agency_id={ids['dinas']}"):
        page = client.get(f"/agency{asked}")
        assert page.status_code == 200
        assert "Kelurahan rahasia BP01" in page.text
        assert "Kelurahan rahasia SK01" not in page.text and "Dinas Kesehatan" not in page.text


def test_an_admin_sees_every_agency(world):
    api, ids = world
    client = signed_in(api, role="admin")
    assert "Kelurahan rahasia SK01" in client.get(f"/agency?agency_id={ids['SK01-agency']}").text
