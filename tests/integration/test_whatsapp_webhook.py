"""WhatsApp Cloud API on a real database, against a fake Cloud API that checks templates as Meta
does: the owner's overdue reminder as a template with its "Diterima" button and the wamid kept; the
signed webhook (handshake, signature, a button reply once however often Meta posts it, statuses on the
delivery, a late `failed` failing it); and the meetings consumer acknowledging as the owner, once."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from minilok_meetings import models as meetings_models
from minilok_meetings.handlers import handlers as meetings_handlers
from minilok_notifications import models
from minilok_notifications.service_layer.attempts import attempt
from minilok_notifications.service_layer.direct_messages import SEALED_CODES, record_code_request, send_direct
from minilok_notifications.service_layer.whatsapp_inbound import REPLY_NAMESPACE
from minilok_shared.action_links import mint_action_token
from minilok_shared.events.consumer import EventConsumer
from minilok_shared.events.envelope import new_event
from sqlalchemy import select
from test_notifications_channels import deliver_event, subscribe
from test_notifications_support import Receiver, followup_event, notifications_client, token
from whatsapp_cloud_fake import FakeCloudApi, button_reply, signed, status_update

from tests.integration.test_meetings_followups import new_followup, setup_puskesmas

APP_SECRET = "meta-app-secret-for-tests"
VERIFY = "verify-token-for-tests"
WEBHOOK = "/api/v1/whatsapp/webhook"


@pytest.fixture
def cloud():
    with FakeCloudApi().running() as fake:
        yield fake


@pytest.fixture
def sms():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def client(monkeypatch, database_url, cloud, sms):
    with notifications_client(monkeypatch, database_url("notifications", migrated=True), WHATSAPP_GATEWAY_URL=cloud.url,
                              SMS_GATEWAY_URL=sms.url,
                              WHATSAPP_GATEWAY_FORMAT="cloud_api", WHATSAPP_ACCESS_TOKEN=cloud.access_token,
                              WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_VERIFY_TOKEN=VERIFY,
                              MINILOK_PUBLIC_URL="https://minilok.example") as c:
        yield c


def overdue(event_id: str, due: datetime) -> dict:
    event = followup_event(event_id, type="followup.overdue")
    event["data"]["followup"].update(due_at=due.isoformat(), puskesmas_name="Puskesmas Baloi Permai",
                                     timezone="Asia/Jakarta", title="Pemberantasan\nsarang    nyamuk")
    return event


def deliveries(client) -> list[models.Delivery]:
    with client.app.state.sessionmaker() as session:
        return list(session.scalars(select(models.Delivery).order_by(models.Delivery.id)))


def outbox(client, type_: str) -> list[dict]:
    with client.app.state.sessionmaker() as session:
        rows = session.execute(select(models.outbox.c.body).where(models.outbox.c.type == type_)).scalars().all()
    return [json.loads(r) for r in rows]


def post_signed(client, body: dict, secret: str = APP_SECRET):
    raw, headers = signed(body, secret)
    return client.post(WEBHOOK, content=raw, headers=headers)


def test_owner_gets_the_overdue_template_with_its_button_others_the_update_and_wamids_are_kept(client, cloud):
    subscribe(client, "whatsapp", "+6281234567890")  # agency 10: the owner
    r = client.post("/api/v1/subscriptions", headers=token("admin"),
                    json={"agency_id": 11, "event_types": ["followup.*"], "channel": "whatsapp",
                          "target": "+6281298765432"})
    assert r.status_code == 201, r.text
    due = datetime.now(UTC) - timedelta(days=2)
    assert deliver_event(client, overdue(str(uuid.uuid4()), due)) == ["delivered", "delivered"]
    assert cloud.refused == []
    by_to = {m["to"]: m for m in cloud.accepted}
    owner, supporter = by_to["6281234567890"], by_to["6281298765432"]
    assert owner["template"]["name"] == "minilok_followup_overdue"
    body, button, link = owner["template"]["components"]
    assert body["parameters"][0]["text"] == "Pemberantasan sarang nyamuk (RTL no. 7)"
    assert button["sub_type"] == "quick_reply" and button["parameters"][0]["payload"].startswith("ack:")
    assert link["sub_type"] == "url" and button["parameters"][0]["payload"] == "ack:" + link["parameters"][0]["text"]
    assert supporter["template"]["name"] == "minilok_followup_update"
    assert [c["type"] for c in supporter["template"]["components"]] == ["body"]
    assert {d.provider_message_id for d in deliveries(client)} == {owner["wamid"], supporter["wamid"]}


def test_metas_refusals_are_errors_in_words_and_throttling_is_retried(client, cloud):
    subscribe(client, "whatsapp", "+6281234567890")
    cloud.errors = [{"code": 130429, "message": "Rate limit hit"}]
    assert deliver_event(client, overdue(str(uuid.uuid4()), datetime.now(UTC))) == ["pending"]
    delivery = deliveries(client)[0]
    assert delivery.attempts[0]["response_status"] == 400 and "130429" in delivery.attempts[0]["error"]
    cloud.errors = [{"code": 132001, "message": "Template name does not exist in the translation"}]
    assert deliver_event(client, overdue(str(uuid.uuid4()), datetime.now(UTC))) == ["failed"]
    assert "132001: Template name does not exist" in deliveries(client)[1].last_error


def test_verify_handshake(client):
    r = client.get(WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert r.status_code == 200 and r.text == "1158201444" and r.headers["content-type"].startswith("text/plain")
    r = client.get(WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert r.status_code == 403 and "verify token" in r.json()["detail"]
    assert client.get(WEBHOOK, params={"hub.challenge": "1"}).status_code == 403


def test_a_button_reply_becomes_one_event_however_often_meta_posts_it(client):
    link = mint_action_token(os.environ["MINILOK_SECRET"], 7, 10, datetime.now(UTC) + timedelta(days=3))
    body = button_reply(f"ack:{link}", wamid="wamid.REPLY1", timestamp=1780000000)
    for _ in range(3):
        r = post_signed(client, body)
        assert r.status_code == 200, r.text
    assert r.json()["duplicates"] == 1 and r.json()["replies"] == 0
    events = outbox(client, "notification.reply_received")
    assert len(events) == 1
    event = events[0]
    assert event["id"] == str(uuid.uuid5(REPLY_NAMESPACE, "wamid.REPLY1")) and event["source"] == "/notifications"
    assert event["data"] == {"followup_id": 7, "agency_id": 10, "action": "acknowledge", "from": "+6281255501234",
                             "wamid": "wamid.REPLY1", "received_at": "2026-05-28T20:26:40+00:00", "token": link}
    assert event["ownerid"] == "10" and event["subject"] == "7"


def test_unsigned_badly_signed_not_json_and_not_ours(client):
    link = mint_action_token(os.environ["MINILOK_SECRET"], 7, 10, datetime.now(UTC) + timedelta(days=3))
    body = button_reply(f"ack:{link}", wamid="wamid.BAD")
    raw, headers = signed(body, "someone-elses-secret")
    assert client.post(WEBHOOK, content=raw, headers=headers).status_code == 401
    assert client.post(WEBHOOK, content=raw, headers={"content-type": "application/json"}).status_code == 401
    raw, headers = signed(body, APP_SECRET)
    r = client.post(WEBHOOK, content=raw + b"x", headers=headers)
    assert r.status_code == 401  # the signature covers the exact bytes
    raw = b'{"entry": ['
    r = client.post(WEBHOOK, content=raw, headers=signed_raw(raw))
    assert r.status_code == 400 and "JSON" in r.json()["detail"]
    forged = mint_action_token("a-secret-that-is-not-ours-but-long-enough", 7, 10, datetime.now(UTC) + timedelta(3))
    for payload in (f"ack:{forged}", "Diterima", f"done:{link}"):
        r = post_signed(client, button_reply(payload, wamid=f"wamid.{payload[:4]}"))
        assert r.status_code == 200 and r.json()["ignored"] == 1
    assert outbox(client, "notification.reply_received") == []


def signed_raw(raw: bytes) -> dict[str, str]:
    return {"content-type": "application/json",
            "x-hub-signature-256": "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()}


def test_statuses_land_on_the_delivery_once_and_a_late_failure_fails_it(client, cloud):
    subscribe(client, "whatsapp", "+6281234567890")
    assert deliver_event(client, overdue(str(uuid.uuid4()), datetime.now(UTC))) == ["delivered"]
    wamid = cloud.accepted[0]["wamid"]
    for state, at in (("sent", 1780000001), ("delivered", 1780000002), ("read", 1780000003)):
        for _ in range(2):  # Meta posts again when our answer was slow
            assert post_signed(client, status_update(wamid, state, timestamp=at)).status_code == 200
    assert post_signed(client, status_update("wamid.NOT-OURS", "read")).json()["ignored"] == 1
    delivery = deliveries(client)[0]
    assert [(a.get("status"), a["response_status"], a["error"]) for a in delivery.attempts] == [
        (None, 200, None), ("sent", None, None), ("delivered", None, None), ("read", None, None)]
    assert delivery.attempts[1]["at"] == "2026-05-28T20:26:41+00:00" and delivery.status == "delivered"

    assert deliver_event(client, overdue(str(uuid.uuid4()), datetime.now(UTC))) == ["delivered"]
    second = cloud.accepted[1]["wamid"]
    failure = [{"code": 131026, "title": "Message undeliverable",
                "error_data": {"details": "Nomor tidak terdaftar di WhatsApp"}}]
    assert post_signed(client, status_update(second, "failed", errors=failure)).status_code == 200
    failed = deliveries(client)[1]
    assert failed.status == "failed" and failed.delivered_at is None
    assert failed.attempts[-1]["status"] == "failed"
    assert failed.attempts[-1]["error"] == "WhatsApp 131026: Message undeliverable (Nomor tidak terdaftar di WhatsApp)"
    told = outbox(client, "notification.failed")
    assert [e["data"]["delivery"]["id"] for e in told] == [failed.id]
    r = client.get(f"/api/v1/deliveries/{failed.id}", headers=token("admin"))
    assert r.json()["status"] == "failed" and r.json()["attempts"][-1]["status"] == "failed"


def test_a_late_failure_goes_to_the_subscriptions_fallback_once(client, cloud, sms):
    subscribe(client, "whatsapp", "+6281234567890", fallback={"channel": "sms", "target": "+6281234567890"})
    assert deliver_event(client, overdue(str(uuid.uuid4()), datetime.now(UTC))) == ["delivered"]
    failed = status_update(cloud.accepted[0]["wamid"], "failed", errors=[{"code": 131049, "title": "Not delivered"}])
    for _ in range(2):
        assert post_signed(client, failed).status_code == 200
    delivery = deliveries(client)[0]
    assert (delivery.status, delivery.channel, delivery.fallback_used) == ("pending", "sms", True)
    assert [a.get("status") or a.get("fallback") for a in delivery.attempts] == [None, "failed", "sms"]
    assert attempt(client.app.state.sessionmaker, client.app.state.settings, delivery.id)[0] == "delivered"
    assert [json.loads(r["body"])["channel"] for r in sms.requests] == ["sms"]
    assert outbox(client, "notification.failed") == []


def test_sign_in_code_goes_as_the_authentication_template(client, cloud):
    state = client.app.state
    expires = datetime.now(UTC) + timedelta(minutes=10)
    event = {"id": str(uuid.uuid4()), "type": "auth.code_requested", "data": {
        "channel": "phone", "target": "+6281255501234", "language": "id", "expires_at": expires.isoformat(),
        "code_sealed": SEALED_CODES.encrypt(os.environ["MINILOK_SECRET"], "482913")}}
    with state.sessionmaker.begin() as session:
        message_id = record_code_request(session, event, state.settings)
    assert send_direct(state.sessionmaker, state.settings, message_id)[0] == "sent"
    assert cloud.refused == [] and len(cloud.accepted) == 1
    sent = cloud.accepted[0]
    assert sent["to"] == "6281255501234" and sent["template"]["name"] == "minilok_sign_in_code"
    assert sent["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]}]


@pytest.fixture
def meetings(service_api):
    api = service_api("meetings")
    ids = setup_puskesmas(api)
    consumer = EventConsumer("meetings", api.client.app.state.engine, meetings_models.inbox, meetings_handlers,
                             "amqp://unused")
    return api, ids, consumer


def reply_event(followup: dict, agency_id: int, wamid: str, token: str | None = None) -> dict:
    token = token or mint_action_token(os.environ["MINILOK_SECRET"], followup["id"], agency_id,
                                       datetime.fromisoformat(followup["due_at"]))
    data = {"followup_id": followup["id"], "agency_id": agency_id, "action": "acknowledge", "from": "+6281255501234",
            "wamid": wamid, "received_at": "2026-12-02T01:00:00+00:00", "token": token}
    return new_event("notification.reply_received", "/notifications", followup["id"], data, ownerid=agency_id,
                     id=str(uuid.uuid5(REPLY_NAMESPACE, wamid)))


def test_meetings_acknowledges_as_the_owner_through_whatsapp_once(meetings):
    api, ids, consumer = meetings
    followup = new_followup(api, ids)
    event = reply_event(followup, ids["kelurahan"], "wamid.A")
    assert consumer.handle(event) == "handled"
    assert consumer.handle(event) == "duplicate"
    assert consumer.handle(reply_event(followup, ids["kelurahan"], "wamid.B")) == "handled"  # a second tap
    got = api.get(f"/api/v1/follow-ups/{followup['id']}").json()
    assert got["acknowledged_at"] and got["status"] == "open"
    history = api.get(f"/api/v1/follow-ups/{followup['id']}/history").json()["items"]
    acks = [h for h in history if h["kind"] == "acknowledged"]
    assert [h["actor"] for h in acks] == [f"agency:{ids['kelurahan']}:whatsapp"]


def test_replies_that_no_longer_apply_are_dropped_not_retried(meetings):
    api, ids, consumer = meetings
    done = new_followup(api, ids)
    owner = api.headers("agency", agency_id=ids["kelurahan"])
    assert api.post(f"/api/v1/follow-ups/{done['id']}/complete", headers=owner, json={"note": "Selesai"}) \
        .status_code == 200
    moved = new_followup(api, ids)
    assert api.patch(f"/api/v1/follow-ups/{moved['id']}", json={"owner_agency_id": ids["rt"]}).status_code == 200
    other = new_followup(api, ids)
    stolen = mint_action_token(os.environ["MINILOK_SECRET"], other["id"], ids["kelurahan"],
                               datetime.fromisoformat(other["due_at"]))
    forged = mint_action_token("a-secret-that-is-not-ours-but-long-enough", other["id"], ids["kelurahan"],
                               datetime.fromisoformat(other["due_at"]))
    for event in (reply_event(done, ids["kelurahan"], "wamid.D"), reply_event(moved, ids["kelurahan"], "wamid.M"),
                  reply_event(moved, ids["kelurahan"], "wamid.S", token=stolen),
                  reply_event(other, ids["kelurahan"], "wamid.F", token=forged)):
        assert consumer.handle(event) == "handled"
    for f in (done, moved, other):
        assert api.get(f"/api/v1/follow-ups/{f['id']}").json()["acknowledged_at"] is None
