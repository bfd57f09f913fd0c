"""A proposal already put on an agenda is no longer offered: its twin from a later event (the
indicator fell short again) joins that agenda at once, accepting one accepts its twins, the API
answers 409 in words for a second acceptance, the overview offers only what waits, and the
indicators page's "Usulkan ke agenda" takes the waiting proposal (or makes one) instead of a
second agenda item."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from minilok_meetings.service_layer import proposals as proposal_service
from minilok_shared.auth import Principal
from test_meetings_proposals import below_target, loop, proposals  # noqa: F401  (loop: the fixture)


@pytest.fixture
def world(loop):  # noqa: F811  (the imported fixture, under a name of this file)
    return loop


def signed_in(api, **scope) -> TestClient:
    client = TestClient(api.client.app)
    token = api.headers(**scope)["Authorization"].removeprefix("Bearer ")
    response = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def test_accepting_one_takes_its_twins_and_a_later_twin_joins_the_same_agenda(world):
    api, token = world["api"], world["baloi_token"]
    world["consumer"].handle(below_target("21.71.06.1004"))
    world["consumer"].handle(below_target("21.71.06.1004"))  # another event, the same indicator, area, period
    world["consumer"].handle(below_target("21.71.06.1005"))
    first, twin, other = sorted(proposals(world, status="proposed"), key=lambda p: p["id"])
    response = api.post(f"/api/v1/proposals/{first['id']}/accept", headers=token,
                        json={"meeting_id": world["baloi_meeting"]})
    assert response.status_code == 200, response.text
    assert [p["id"] for p in proposals(world, status="proposed")] == [other["id"]]
    assert api.get(f"/api/v1/proposals/{twin['id']}").json()["meeting_id"] == world["baloi_meeting"]

    again = api.post(f"/api/v1/proposals/{twin['id']}/accept", headers=token,
                     json={"meeting_id": world["baloi_meeting"]})
    assert again.status_code == 409
    assert "sudah masuk agenda" in again.json()["detail"] and "accepted" not in again.json()["detail"]

    world["consumer"].handle(below_target("21.71.06.1004"))  # below target again after a recovery
    assert [p["id"] for p in proposals(world, status="proposed")] == [other["id"]]
    agenda = api.get(f"/api/v1/meetings/{world['baloi_meeting']}").json()["agenda"]
    assert [a["proposal_id"] for a in agenda] == [first["id"]]  # on the agenda once


def test_the_overview_offers_only_what_still_waits(world):
    api = world["api"]
    world["consumer"].handle(below_target("21.71.06.1004"))
    world["consumer"].handle(below_target("21.71.06.1004"))
    page = signed_in(api, role="puskesmas", puskesmas_id=world["baloi"])
    assert page.get("/").text.count('action="/proposals/') == 2
    (first, _twin) = sorted(proposals(world, status="proposed"), key=lambda p: p["id"])
    api.post(f"/api/v1/proposals/{first['id']}/accept", headers=world["baloi_token"],
             json={"meeting_id": world["baloi_meeting"]})
    assert 'action="/proposals/' not in page.get("/").text


def test_the_indicators_page_takes_the_waiting_proposal_and_refuses_a_second_time(world):
    api = world["api"]
    world["consumer"].handle(below_target("21.71.06.1004"))
    (waiting,) = proposals(world, status="proposed")
    fields = {"indicator_code": "DS_POSYANDU", "indicator_name": "D/S Posyandu", "area_code": "21.71.06.1004",
              "area_name": "Baloi Permai", "period": "2026-01", "value": 61.25, "target": 80.0,
              "direction": "higher_is_better"}
    with api.client.app.state.sessionmaker() as session:
        principal = _principal(puskesmas_id=world["baloi"])
        taken = proposal_service.propose_from_indicators(session, principal, world["baloi"], world["baloi_meeting"],
                                                         fields)
        assert taken.id == waiting["id"] and taken.status == "accepted"
        with pytest.raises(HTTPException) as refused:
            proposal_service.propose_from_indicators(session, principal, world["baloi"], world["baloi_meeting"], fields)
        assert refused.value.status_code == 409 and "Lokmin bulanan Maret" in refused.value.detail
        # Another area, no event for it yet: a new proposal, accepted, titled in words.
        made = proposal_service.propose_from_indicators(
            session, principal, world["baloi"], world["baloi_meeting"],
            {**fields, "area_code": "21.71.06.1006", "area_name": "Belian", "indicator_code": "DBD_IR",
             "indicator_name": "Incidence rate DBD", "value": 25.0, "target": 10.0, "direction": "lower_is_better"})
        assert made.status == "accepted"
        assert made.title == "Capaian Incidence rate DBD di Belian Januari 2026 di atas batas (25 > 10)"
        on = proposal_service.on_agenda(session, world["baloi"], "DS_POSYANDU", "2026-01",
                                        ["21.71.06.1004", "21.71.06.1005"])
        assert list(on) == ["21.71.06.1004"] and on["21.71.06.1004"].title == "Lokmin bulanan Maret"
    agenda = api.get(f"/api/v1/meetings/{world['baloi_meeting']}").json()["agenda"]
    assert len(agenda) == 2
    assert all("21.71" not in (a["notes"] or "") for a in agenda)  # the note names the period in words
    assert agenda[0]["notes"] == "Diusulkan dari pemantauan wilayah setempat (PWS), periode Januari 2026."


def _principal(puskesmas_id: int) -> Principal:
    return Principal(role="puskesmas", subject=f"puskesmas:{puskesmas_id}", puskesmas_id=str(puskesmas_id))
