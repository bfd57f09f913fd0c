"""The closed loop from indicators: `indicator.below_target` becomes a proposed agenda item for
the puskesmas whose area it concerns; a puskesmas lists, accepts or dismisses its proposals."""

from __future__ import annotations

import pika
import pytest
from minilok_meetings import models
from minilok_meetings.handlers import handlers
from minilok_shared.db import upgrade
from minilok_shared.events import EXCHANGE
from minilok_shared.events.consumer import EventConsumer
from minilok_shared.events.envelope import CONTENT_TYPE, dumps, new_event
from minilok_shared.events.outbox import declare_exchange
from minilok_shared.service import get_service
from sqlalchemy import create_engine, func, select
from support import Processes, wait_for


def below_target(area_code: str, *, indicator: str = "DS_POSYANDU", period: str = "2026-01", nested: bool = True,
                 ancestors: list[str] | None = None) -> dict:
    if nested:
        data = {"indicator": {"code": indicator, "name": "D/S Posyandu", "direction": "higher_is_better"},
                "area": {"code": area_code, "name": f"Wilayah {area_code}", "ancestor_codes": ancestors or []},
                "period": period, "value": 61.25, "target": 80.0, "meets_target": False}
    else:
        data = {"indicator_code": indicator, "area_code": area_code, "period": period, "value": 61.25, "target": 80}
    return new_event("indicator.below_target", "/indicators", area_code, data)


@pytest.fixture
def loop(meetings_api):
    """Two puskesmas (Baloi Permai, and Baru Tengah with a kelurahan agency inside its area), a
    meeting each, and a consumer that handles events in-process on the same database."""
    api = meetings_api

    def create(path, body):
        response = api.post(f"/api/v1/{path}", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    baloi = create("puskesmas", {"code": "BP01", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
                                 "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau"})
    baru = create("puskesmas", {"code": "BT01", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Makassar",
                                "area_code": "64.71.05", "kota": "Kota Balikpapan",
                                "provinsi": "Kalimantan Timur"})
    create("agencies", {"name": "Kelurahan Baru Tengah", "kind": "kelurahan", "puskesmas_id": baru,
                        "area_code": "64.71.05.1002"})
    meeting = {"kind": "monthly_internal", "title": "Lokmin bulanan Maret", "scheduled_at": "2026-03-04T09:00:00+07:00"}
    consumer = EventConsumer("meetings", api.client.app.state.engine, models.inbox, handlers, "amqp://unused")
    return {
        "api": api, "consumer": consumer, "baloi": baloi, "baru": baru,
        "baloi_meeting": create("meetings", {**meeting, "puskesmas_id": baloi}),
        "baru_meeting": create("meetings", {**meeting, "puskesmas_id": baru}),
        "baloi_token": api.headers("puskesmas", puskesmas_id=baloi),
        "baru_token": api.headers("puskesmas", puskesmas_id=baru),
    }


def proposals(loop, **params) -> list[dict]:
    response = loop["api"].get("/api/v1/proposals", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_below_target_becomes_one_proposal_for_the_puskesmas_of_the_area(loop):
    event = below_target("21.71.06.1004")
    assert loop["consumer"].handle(event) == "handled"
    assert loop["consumer"].handle(event) == "duplicate"
    (proposal,) = proposals(loop)
    assert proposal["puskesmas_id"] == loop["baloi"]
    assert proposal["event_id"] == event["id"]
    assert (proposal["indicator_code"], proposal["area_code"], proposal["period"]) == (
        "DS_POSYANDU", "21.71.06.1004", "2026-01")
    assert proposal["title"] == ("Capaian D/S Posyandu di Wilayah 21.71.06.1004 Januari 2026 di bawah target "
                                 "(61,25 < 80)")
    assert (proposal["value"], proposal["target"], proposal["status"]) == (61.25, 80.0, "proposed")


def test_areas_are_matched_by_dotted_prefix_agency_area_and_ancestors(loop):
    consumer = loop["consumer"]
    consumer.handle(below_target("21.71.06", nested=False))  # the working area itself, flat data
    consumer.handle(below_target("64.71.05.1002.RW03"))  # under an agency's kelurahan
    consumer.handle(below_target("PY-MAWAR-X", ancestors=["21", "21.71", "21.71.06", "21.71.06.1004"]))
    consumer.handle(below_target("21.71.01.1001"))  # another kecamatan: nobody's
    consumer.handle(below_target("21.71"))  # the kota is wider than any puskesmas
    by_area = {p["area_code"]: p["puskesmas_id"] for p in proposals(loop)}
    assert by_area == {"21.71.06": loop["baloi"], "64.71.05.1002.RW03": loop["baru"], "PY-MAWAR-X": loop["baloi"]}


def test_an_event_without_an_area_is_refused(loop):
    from minilok_shared.events.envelope import InvalidEvent

    event = new_event("indicator.below_target", "/indicators", "x", {"indicator": {"code": "X"}, "period": "2026-01"})
    with pytest.raises(InvalidEvent):
        loop["consumer"].handle(event)
    assert proposals(loop) == []


def test_list_filters_pagination_and_access(loop):
    for period in ("2026-01", "2026-02", "2026-03"):
        loop["consumer"].handle(below_target("21.71.06.1004", period=period))
    loop["consumer"].handle(below_target("64.71.05.1002"))
    api = loop["api"]
    assert [p["period"] for p in proposals(loop, puskesmas_id=loop["baloi"])] == ["2026-03", "2026-02", "2026-01"]
    first = api.get("/api/v1/proposals", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get("/api/v1/proposals", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    mine = api.get("/api/v1/proposals", headers=loop["baru_token"]).json()["items"]
    assert [p["puskesmas_id"] for p in mine] == [loop["baru"]]
    assert api.get("/api/v1/proposals", params={"status": "accepted"}).json()["items"] == []
    assert api.get("/api/v1/proposals", params={"status": "nope"}).status_code == 422
    assert api.get("/api/v1/proposals", headers=api.headers("agency", agency_id=1)).status_code == 403
    assert api.client.get("/api/v1/proposals").status_code == 401


def test_accept_adds_the_proposal_to_the_agenda(loop):
    loop["consumer"].handle(below_target("21.71.06.1004"))
    (proposal,) = proposals(loop)
    api, token = loop["api"], loop["baloi_token"]
    api.post(f"/api/v1/meetings/{loop['baloi_meeting']}/agenda", json={"title": "Laporan SPM"})
    accept = f"/api/v1/proposals/{proposal['id']}/accept"

    response = api.post(accept, headers=token, json={"meeting_id": loop["baru_meeting"]})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "meeting_id"]
    assert api.post(accept, headers=token, json={"meeting_id": 999_999}).status_code == 422
    assert api.post(accept, headers=token, json={}).status_code == 422
    assert api.post(accept, headers=loop["baru_token"], json={"meeting_id": loop["baloi_meeting"]}).status_code == 403
    assert api.post("/api/v1/proposals/999999/accept", json={"meeting_id": loop["baloi_meeting"]}).status_code == 404

    response = api.post(accept, headers=token, json={"meeting_id": loop["baloi_meeting"]})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted" and response.json()["meeting_id"] == loop["baloi_meeting"]
    agenda = api.get(f"/api/v1/meetings/{loop['baloi_meeting']}").json()["agenda"]
    assert [(a["position"], a["proposal_id"], a["indicator_code"]) for a in agenda] == [
        (1, None, None), (2, proposal["id"], "DS_POSYANDU")]
    assert agenda[1]["title"] == proposal["title"]

    assert api.post(accept, headers=token, json={"meeting_id": loop["baloi_meeting"]}).status_code == 409
    assert api.post(f"/api/v1/proposals/{proposal['id']}/dismiss", headers=token).status_code == 409
    assert [p["id"] for p in proposals(loop, status="accepted")] == [proposal["id"]]


def test_a_published_meeting_takes_no_proposal_and_dismissing_is_final(loop):
    loop["consumer"].handle(below_target("21.71.06.1004"))
    (proposal,) = proposals(loop)
    api, meeting = loop["api"], loop["baloi_meeting"]
    api.post(f"/api/v1/meetings/{meeting}/minutes", json={"summary": "Selesai", "decisions": []})
    assert api.post(f"/api/v1/meetings/{meeting}/publish").status_code == 200
    response = api.post(f"/api/v1/proposals/{proposal['id']}/accept", json={"meeting_id": meeting})
    assert response.status_code == 422 and "diterbitkan" in response.json()["detail"][0]["msg"]

    response = api.post(f"/api/v1/proposals/{proposal['id']}/dismiss", headers=loop["baloi_token"])
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    assert api.get(f"/api/v1/proposals/{proposal['id']}", headers=loop["baloi_token"]).json()["status"] == "dismissed"
    assert api.get(f"/api/v1/proposals/{proposal['id']}", headers=loop["baru_token"]).status_code == 403
    assert api.post(f"/api/v1/proposals/{proposal['id']}/accept", json={"meeting_id": meeting}).status_code == 409


# --- the real consumer process -------------------------------------------------------------


def publish(url: str, event: dict) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    declare_exchange(channel)
    channel.basic_publish(EXCHANGE, event["type"], dumps(event),
                          pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=2, message_id=event["id"]))
    connection.close()


def test_the_consumer_process_makes_one_proposal_from_a_redelivered_event(rabbitmq_url, database_url, tmp_path):
    db_url = database_url("meetings", migrated=True)
    upgrade(get_service("meetings").migrations, db_url, "meetings")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(models.Puskesmas.__table__.insert().values(
            code="BP01", name="Puskesmas Baloi Permai", timezone="Asia/Jakarta", area_code="21.71.06",
            kota="Kota Batam", provinsi="Kepulauan Riau", extra_holidays=[], created_at=func.now()))
    processes = Processes({"MEETINGS_DATABASE_URL": db_url, "RABBITMQ_URL": rabbitmq_url,
                           "MINILOK_VAR_DIR": str(tmp_path)}, tmp_path)
    try:
        processes.start("consumer", "consume", "meetings")
        # Logged once the queue is declared and bound.
        wait_for(lambda: "consuming minilok.meetings bound to" in processes.log("consumer"), 30,
                 message=f"the meetings queue ({processes.log('consumer')[-2000:]})")
        event = below_target("21.71.06.1004")
        publish(rabbitmq_url, event)
        publish(rabbitmq_url, event)
        wait_for(lambda: "indicator.below_target duplicate" in processes.log("consumer"), 30,
                 message=f"the redelivery to be dropped ({processes.log('consumer')[-2000:]})")
        with engine.connect() as conn:
            rows = conn.execute(select(models.Proposal.__table__)).all()
        assert len(rows) == 1
        assert (rows[0].event_id, rows[0].area_code, rows[0].status) == (event["id"], "21.71.06.1004", "proposed")
        assert rows[0].title.startswith("Capaian D/S Posyandu di Wilayah 21.71.06.1004 Januari 2026 di bawah target")
    finally:
        processes.stop_all()
        engine.dispose()
