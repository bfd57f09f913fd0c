"""The subscriptions and deliveries API on a real database (SQLite or PostgreSQL), with a real
local webhook receiver for `test` and retries."""

from __future__ import annotations

import json

import pytest
from minilok_notifications import models
from minilok_notifications.service_layer.fan_out import record_event
from minilok_shared.db import make_engine, make_sessionmaker
from sqlalchemy import create_engine, select, text
from test_notifications_support import Receiver, followup_event, notifications_client, send_test, token

ADMIN = token("admin")


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def db_url(database_url):
    return database_url("notifications", migrated=True)


@pytest.fixture
def client(monkeypatch, db_url):
    with notifications_client(monkeypatch, db_url, NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1",
                              NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS="1") as c:
        yield c


def webhook(client, receiver, headers=ADMIN, **overrides):
    body = {"agency_id": 10, "event_types": ["followup.*"], "channel": "webhook", "target": receiver.url, **overrides}
    r = client.post("/api/v1/subscriptions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_webhook_subscription_shows_secret_once(client, receiver, db_url):
    created = webhook(client, receiver)
    assert created["secret"].startswith("whsec_")
    assert created["language"] == "id" and created["digest"] == "immediate" and created["scope"] == "agency"
    again = client.get(f"/api/v1/subscriptions/{created['id']}", headers=ADMIN).json()
    assert "secret" not in again
    listed = client.get("/api/v1/subscriptions?agency_id=10", headers=ADMIN).json()
    assert [s["id"] for s in listed["items"]] == [created["id"]] and listed["next_cursor"] is None
    assert "secret" not in listed["items"][0]
    engine = create_engine(db_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_encrypted FROM subscriptions")).scalar()
    engine.dispose()
    assert stored and created["secret"] not in stored


def test_other_channels_validate_their_targets(client):
    base = {"agency_id": 10, "event_types": ["followup.overdue"]}
    r = client.post("/api/v1/subscriptions", json={**base, "channel": "email", "target": "kader@example.org",
                                                    "language": "en"}, headers=ADMIN)
    assert r.status_code == 201 and r.json()["secret"] is None
    r = client.post("/api/v1/subscriptions", json={**base, "channel": "whatsapp", "target": "+62 812 3456 7890"},
                    headers=ADMIN)
    assert r.status_code == 201 and r.json()["target"] == "+6281234567890"
    for channel, target in [("email", "nope"), ("sms", "0812"), ("webhook", "ftp://x.org/"),
                            ("webhook", "https://a:b@example.org/")]:
        r = client.post("/api/v1/subscriptions", json={**base, "channel": channel, "target": target}, headers=ADMIN)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "target"]


@pytest.mark.parametrize("change,field", [
    ({"event_types": ["followup.nope"]}, "event_types"),
    ({"event_types": []}, "event_types"),
    ({"channel": "pigeon"}, "channel"),
    ({"language": "fr"}, "language"),
    ({"digest": "weekly"}, "digest"),
    ({"quiet_hours": {"start": "25:00", "end": "06:00"}}, "quiet_hours"),
    ({"filters": {"puskesmas_id": "abc"}}, "filters"),
    ({"agency_id": None}, "agency_id"),
])
def test_invalid_input_is_422_naming_the_field(client, receiver, change, field):
    body = {"agency_id": 10, "event_types": ["followup.*"], "channel": "webhook", "target": receiver.url, **change}
    r = client.post("/api/v1/subscriptions", json=body, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][1] == field


def test_auth(client, receiver):
    assert client.get("/api/v1/subscriptions").status_code == 401
    assert client.get("/api/v1/subscriptions", headers={"Authorization": "Bearer nope"}).status_code == 401
    mine = webhook(client, receiver, headers=token("agency", agency_id=10), agency_id=None)
    assert mine["agency_id"] == 10 and mine["scope"] == "agency"
    theirs = webhook(client, receiver, agency_id=20)
    agency = token("agency", agency_id=10)
    r = client.post("/api/v1/subscriptions", json={"agency_id": 20, "event_types": ["followup.*"],
                                                   "channel": "webhook", "target": receiver.url}, headers=agency)
    assert r.status_code == 403
    assert [s["id"] for s in client.get("/api/v1/subscriptions", headers=agency).json()["items"]] == [mine["id"]]
    assert client.get(f"/api/v1/subscriptions/{theirs['id']}", headers=agency).status_code == 403
    assert client.delete(f"/api/v1/subscriptions/{theirs['id']}", headers=agency).status_code == 403
    assert client.get("/api/v1/subscriptions/999999", headers=ADMIN).status_code == 404


def test_puskesmas_token_watches_its_own_puskesmas(client, receiver):
    p1 = token("puskesmas", puskesmas_id=1)
    sub = webhook(client, receiver, headers=p1, event_types=["#"])
    assert sub["filters"]["puskesmas_id"] == 1 and sub["scope"] == "puskesmas"
    r = client.post("/api/v1/subscriptions", json={"agency_id": 10, "event_types": ["#"], "channel": "webhook",
                                                   "target": receiver.url, "filters": {"puskesmas_id": 2}},
                    headers=p1)
    assert r.status_code == 403
    agency_sub = webhook(client, receiver, agency_id=10)
    assert client.get(f"/api/v1/subscriptions/{agency_sub['id']}", headers=p1).status_code == 403
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=token("puskesmas", puskesmas_id=2)).status_code \
        == 403


def test_an_agency_cannot_widen_its_subscription_to_a_whole_puskesmas(client, receiver):
    """Issue 13, 1(a): an agency PATCHing filters.puskesmas_id onto its own (admin-made)
    subscription only narrows it: the scope stays "agency" and it hears none of that puskesmas's
    follow-ups it is not part of. Neither can a POST make a puskesmas-wide one."""
    agency = token("agency", agency_id=10)
    sub = webhook(client, receiver, agency_id=10)
    r = client.patch(f"/api/v1/subscriptions/{sub['id']}", headers=agency, json={"filters": {"puskesmas_id": 5}})
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "agency" and r.json()["filters"]["puskesmas_id"] == 5
    posted = webhook(client, receiver, headers=agency, agency_id=None, filters={"puskesmas_id": 5})
    assert posted["scope"] == "agency"
    factory = client.app.state.sessionmaker
    with factory.begin() as session:
        others = followup_event("55555555-5555-5555-5555-555555555555", owner=30, supporters=(31,), puskesmas=5)
        assert record_event(session, others) == []
        own = followup_event("66666666-6666-6666-6666-666666666666", owner=10, supporters=(), puskesmas=5)
        assert len(record_event(session, own)) == 2


def test_a_puskesmas_watch_keeps_its_puskesmas(client, receiver):
    p1 = token("puskesmas", puskesmas_id=1)
    watch = webhook(client, receiver, agency_id=10, filters={"puskesmas_id": 1})
    assert watch["scope"] == "puskesmas"
    r = client.patch(f"/api/v1/subscriptions/{watch['id']}", headers=ADMIN, json={"filters": {}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "filters"]
    assert "filters.puskesmas_id" in r.json()["detail"][0]["msg"]
    r = client.patch(f"/api/v1/subscriptions/{watch['id']}", headers=p1, json={"filters": {"area_code": "21.71"}})
    assert r.status_code == 200 and r.json()["filters"]["puskesmas_id"] == 1 and r.json()["scope"] == "puskesmas"


def test_a_puskesmas_manages_only_puskesmas_wide_watches_of_its_own(client, receiver):
    """Issue 13, 1(b): an agency's own subscription filtered on the puskesmas (a dinas kesehatan's,
    say) is not the puskesmas's to list, re-target, disable or delete."""
    p1 = token("puskesmas", puskesmas_id=1)
    dinas = webhook(client, receiver, headers=token("agency", agency_id=40), agency_id=None,
                    filters={"puskesmas_id": 1})
    watch = webhook(client, receiver, agency_id=40, filters={"puskesmas_id": 1})
    assert [s["id"] for s in client.get("/api/v1/subscriptions", headers=p1).json()["items"]] == [watch["id"]]
    path = f"/api/v1/subscriptions/{dinas['id']}"
    assert client.patch(path, headers=p1, json={"active": False}).status_code == 403
    assert client.patch(path, headers=p1, json={"target": "http://127.0.0.1:9/x"}).status_code == 403
    assert client.delete(path, headers=p1).status_code == 403
    assert client.post(f"{path}/rotate-secret", headers=p1).status_code == 403
    assert client.get(path, headers=ADMIN).json()["active"] is True


def test_patch_and_delete(client, receiver):
    sub = webhook(client, receiver)
    r = client.patch(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN,
                     json={"event_types": ["followup.overdue"], "language": "en",
                           "quiet_hours": {"start": "21:00", "end": "06:00"}, "filters": {"area_code": "21.71"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["event_types"] == ["followup.overdue"] and body["language"] == "en"
    assert body["quiet_hours"] == {"start": "21:00", "end": "06:00"} and body["filters"]["area_code"] == "21.71"
    assert client.patch(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN,
                        json={"target": "gopher://x"}).status_code == 422
    assert client.patch(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN, json={"channel": "sms"}).status_code \
        == 422
    assert client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN).status_code == 204
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN).status_code == 404


def test_pagination(client, receiver):
    ids = [webhook(client, receiver)["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/subscriptions", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                          headers=ADMIN).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    assert client.get("/api/v1/subscriptions?cursor=%%%", headers=ADMIN).status_code == 422


def test_test_endpoint_sends_a_signed_cloudevent(client, receiver):
    sub = webhook(client, receiver)
    receiver.secrets.append(sub["secret"])
    delivery = send_test(client, sub["id"])
    assert delivery["status"] == "delivered" and delivery["event_type"] == "notification.test"
    assert delivery["attempts"][0]["response_status"] == 200
    assert set(delivery) >= {"id", "subscription_id", "event_id", "event_type", "channel", "status", "attempts",
                             "next_attempt_at"}
    (request,) = receiver.requests
    assert request["verified"]
    assert request["headers"]["content-type"] == "application/cloudevents+json"
    assert request["headers"]["webhook-id"] == delivery["message_id"]
    event = json.loads(request["body"])
    assert event["type"] == "notification.test" and event["specversion"] == "1.0" and event["id"] == \
        delivery["event_id"]


def test_rotate_secret_signs_with_old_and_new(client, receiver):
    sub = webhook(client, receiver)
    rotated = client.post(f"/api/v1/subscriptions/{sub['id']}/rotate-secret", headers=ADMIN).json()
    assert rotated["secret"] != sub["secret"] and rotated["previous_secret_expires_at"]
    receiver.secrets.append(sub["secret"])  # a receiver not yet updated still verifies
    send_test(client, sub["id"])
    receiver.secrets[:] = [rotated["secret"]]  # and one already updated too
    send_test(client, sub["id"])
    assert [r["verified"] for r in receiver.requests] == [True, True]
    assert len(receiver.requests[0]["headers"]["webhook-signature"].split(" ")) == 2
    email = client.post("/api/v1/subscriptions", json={"agency_id": 10, "event_types": ["followup.*"],
                                                        "channel": "email", "target": "a@example.org"},
                        headers=ADMIN).json()
    assert client.post(f"/api/v1/subscriptions/{email['id']}/rotate-secret", headers=ADMIN).status_code == 409


def test_failed_delivery_log_and_manual_retry(client, receiver):
    sub = webhook(client, receiver)
    receiver.secrets.append(sub["secret"])
    receiver.script.append(404)
    delivery = send_test(client, sub["id"])
    assert delivery["status"] == "failed" and delivery["last_response_status"] == 404
    listed = client.get("/api/v1/deliveries", params={"subscription_id": sub["id"], "status": "failed"},
                        headers=ADMIN).json()
    assert [d["id"] for d in listed["items"]] == [delivery["id"]]
    assert client.get("/api/v1/deliveries", params={"event_id": "nope"}, headers=ADMIN).json()["items"] == []
    assert client.get("/api/v1/deliveries", params={"status": "bogus"}, headers=ADMIN).status_code == 422
    r = client.post(f"/api/v1/deliveries/{delivery['id']}/retry", headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    other = token("agency", agency_id=99)
    assert client.get(f"/api/v1/deliveries/{delivery['id']}", headers=other).status_code == 403
    assert client.get("/api/v1/deliveries", headers=other).json()["items"] == []
    assert client.get("/api/v1/deliveries/999999", headers=ADMIN).status_code == 404


def test_retry_of_a_delivered_delivery_is_409(client, receiver):
    sub = webhook(client, receiver)
    delivery = send_test(client, sub["id"])
    assert delivery["status"] == "delivered"
    assert client.post(f"/api/v1/deliveries/{delivery['id']}/retry", headers=ADMIN).status_code == 409


def test_server_error_is_retried_later(client, receiver):
    sub = webhook(client, receiver)
    receiver.script.append(("status", 503, {"Retry-After": "120"}))
    delivery = send_test(client, sub["id"])
    assert delivery["status"] == "pending" and delivery["attempts"][0]["response_status"] == 503
    assert delivery["next_attempt_at"] is not None


def test_timeout_is_recorded_and_retried(client, receiver):
    sub = webhook(client, receiver)
    receiver.script.append(("sleep", 2))
    delivery = send_test(client, sub["id"])
    assert delivery["status"] == "pending"
    assert delivery["attempts"][0]["response_status"] is None and "timeout" in delivery["attempts"][0]["error"]


def test_who_hears_what_and_one_delivery_per_pair(client, receiver, db_url):
    owner = webhook(client, receiver, agency_id=10)
    supporter = webhook(client, receiver, agency_id=11)
    stranger = webhook(client, receiver, agency_id=12)
    watcher = webhook(client, receiver, agency_id=1, event_types=["#"], filters={"puskesmas_id": 1})
    other_puskesmas = webhook(client, receiver, agency_id=2, event_types=["#"], filters={"puskesmas_id": 2})
    overdue_only = webhook(client, receiver, agency_id=10, event_types=["followup.overdue"])
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    event = followup_event("11111111-1111-1111-1111-111111111111", owner=10, supporters=(11,), puskesmas=1)
    with factory.begin() as session:
        first = record_event(session, event)
    with factory.begin() as session:
        again = record_event(session, event)  # the same event id again: nothing new
    assert len(first) == 3 and again == []
    with factory() as session:
        heard = {d.subscription_id for d in session.scalars(select(models.Delivery))}
    assert heard == {owner["id"], supporter["id"], watcher["id"]}
    assert not heard & {stranger["id"], other_puskesmas["id"], overdue_only["id"]}
    escalated = followup_event("22222222-2222-2222-2222-222222222222", type="followup.escalated", owner=10,
                               supporters=(), escalated=[12])
    with factory.begin() as session:
        record_event(session, escalated)
    with factory() as session:
        heard = {d.subscription_id for d in session.scalars(
            select(models.Delivery).where(models.Delivery.event_id == escalated["id"]))}
    assert heard == {owner["id"], stranger["id"], watcher["id"]}
    engine.dispose()


def test_private_targets_refused_when_not_allowed(monkeypatch, db_url):
    with notifications_client(monkeypatch, db_url, NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="0") as client:
        for url in ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest",
                    "http://10.0.0.5/", "http://[::1]:80/"]:
            r = client.post("/api/v1/subscriptions", json={"agency_id": 10, "event_types": ["followup.*"],
                                                           "channel": "webhook", "target": url}, headers=ADMIN)
            assert r.status_code == 422, (url, r.text)
            assert r.json()["detail"][0]["loc"] == ["body", "target"]


def test_send_time_guard_blocks_a_target_that_became_private(monkeypatch, db_url, receiver):
    """A subscription saved while private targets were allowed (or whose DNS now points inside)
    is refused at send time, and the receiver sees nothing."""
    with notifications_client(monkeypatch, db_url, NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1") as client:
        sub = webhook(client, receiver)
    with notifications_client(monkeypatch, db_url, NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="0") as client:
        delivery = send_test(client, sub["id"])
    assert delivery["status"] == "failed" and "127.0.0.1" in delivery["last_error"]
    assert receiver.requests == []


def test_health_and_docs(client):
    assert client.get("/health").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/subscriptions", "/api/v1/subscriptions/{subscription_id}/rotate-secret",
            "/api/v1/subscriptions/{subscription_id}/test", "/api/v1/deliveries",
            "/api/v1/deliveries/{delivery_id}/retry"} <= set(paths)


def test_quiet_hours_hold_then_release(client, receiver, db_url):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from minilok_notifications.service_layer.attempts import attempt
    from minilok_notifications.service_layer.sweep import due_deliveries

    local = datetime.now(ZoneInfo("Asia/Jakarta"))
    quiet = {"start": (local - timedelta(hours=1)).strftime("%H:%M"),
             "end": (local + timedelta(hours=1)).strftime("%H:%M")}
    sub = webhook(client, receiver, quiet_hours=quiet)
    receiver.secrets.append(sub["secret"])
    daily = webhook(client, receiver, digest="daily")
    factory = client.app.state.sessionmaker
    event = followup_event("33333333-3333-3333-3333-333333333333", owner=10)
    with factory.begin() as session:
        assert record_event(session, event) == []  # nothing to send now
    (held,) = client.get("/api/v1/deliveries", params={"subscription_id": sub["id"]}, headers=ADMIN).json()["items"]
    assert held["status"] == "held"
    release = datetime.fromisoformat(held["next_attempt_at"]).astimezone(ZoneInfo("Asia/Jakarta"))
    assert release.strftime("%H:%M") == quiet["end"]
    (digest,) = client.get("/api/v1/deliveries", params={"subscription_id": daily["id"]}, headers=ADMIN).json()["items"]
    assert digest["status"] == "held"
    assert datetime.fromisoformat(digest["next_attempt_at"]).astimezone(ZoneInfo("Asia/Jakarta")).hour == 7
    assert due_deliveries(factory) == []
    with factory.begin() as session:  # quiet hours are over
        session.get(models.Delivery, held["id"]).next_attempt_at = datetime.now(ZoneInfo("UTC")) - timedelta(1)
    assert due_deliveries(factory) == [held["id"]]
    assert attempt(factory, client.app.state.settings, held["id"])[0] == "delivered"
    assert receiver.events() == [event]


def test_two_workers_claiming_the_same_delivery_send_once(client, receiver):
    """The lease: of two claims on one due delivery only one succeeds."""
    from minilok_notifications.service_layer.attempts import claim
    from minilok_shared.db import utcnow

    webhook(client, receiver)
    factory = client.app.state.sessionmaker
    with factory.begin() as session:
        (delivery_id,) = record_event(session, followup_event("44444444-4444-4444-4444-444444444444", owner=10))
    now = utcnow()
    assert claim(factory, delivery_id, now, 60) is True
    assert claim(factory, delivery_id, now, 60) is False
    from datetime import timedelta

    assert claim(factory, delivery_id, now + timedelta(seconds=61), 60) is True  # an expired lease is taken over


def test_endpoint_failing_for_five_days_is_disabled_and_its_owner_told(client, receiver, db_url):
    from datetime import timedelta

    from minilok_shared.db import utcnow

    sub = webhook(client, receiver)
    factory = client.app.state.sessionmaker
    receiver.script.append(503)
    first = send_test(client, sub["id"])
    assert first["status"] == "pending"
    failing = client.get(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN).json()
    assert failing["failing_since"] is not None and failing["active"] is True
    with factory.begin() as session:  # ... and it has been failing for 5 days
        session.get(models.Subscription, sub["id"]).failing_since = utcnow() - timedelta(days=5, minutes=1)
    receiver.script.append(503)
    send_test(client, sub["id"])
    disabled = client.get(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN).json()
    assert disabled["active"] is False and disabled["disabled_reason"]
    with factory() as session:
        notices = [json.loads(body) for body in session.scalars(select(models.outbox.c.body))]
    assert [n["data"]["subscription_disabled"] for n in notices] == [True]
    assert notices[0]["type"] == "notification.failed" and notices[0]["data"]["agency_id"] == 10
    # switched on again by hand, it starts afresh
    again = client.patch(f"/api/v1/subscriptions/{sub['id']}", headers=ADMIN, json={"active": True}).json()
    assert again["active"] and again["failing_since"] is None and again["disabled_reason"] is None
    assert send_test(client, sub["id"])["status"] == "delivered"
