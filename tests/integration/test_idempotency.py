"""Idempotency-Key on POST: a retried request answers its first response and changes nothing more,
on every service; the change and the stored answer commit together."""

from __future__ import annotations

from datetime import timedelta

from minilok_meetings import models as meetings_models
from minilok_shared.db import utcnow
from minilok_shared.idempotency import _caller, _digest
from sqlalchemy import func, select, update
from test_meetings_followups import outbox_events, setup_puskesmas


def count(api, table) -> int:
    with api.client.app.state.sessionmaker() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def create_followup(api, ids, key: str | None, headers=None, **fields):
    body = {"title": "Fogging fokus RW 05", "owner_agency_id": ids["kelurahan"], "due_in_working_days": 5, **fields}
    extra = {"Idempotency-Key": key} if key else {}
    return api.post(f"/api/v1/meetings/{ids['meeting']}/follow-ups", json=body,
                    headers={**(headers or api.admin), **extra})


def test_a_retried_create_answers_the_first_response_and_creates_once(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    before = count(api, meetings_models.FollowUp.__table__)
    first = create_followup(api, ids, "retry-1")
    again = create_followup(api, ids, "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert count(api, meetings_models.FollowUp.__table__) == before + 1
    assert len(outbox_events(api, "followup.created")) == 1

    other = create_followup(api, ids, "retry-2")  # another key is another request
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    plain = create_followup(api, ids, None)  # no key: every request counts
    assert plain.status_code == 201
    assert count(api, meetings_models.FollowUp.__table__) == before + 3


def test_the_same_key_with_another_body_is_422_and_changes_nothing(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    assert create_followup(api, ids, "k").status_code == 201
    changed = create_followup(api, ids, "k", title="Judul lain")
    assert changed.status_code == 422
    assert changed.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert len(outbox_events(api, "followup.created")) == 1


def test_a_key_belongs_to_its_caller(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    puskesmas = api.headers("puskesmas", puskesmas_id=ids["puskesmas"])
    a = create_followup(api, ids, "shared-key")
    b = create_followup(api, ids, "shared-key", headers=puskesmas)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_errors_are_replayed_too_and_a_bad_key_is_422(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    missing = create_followup(api, ids, "missing-owner", owner_agency_id=999_999)
    assert missing.status_code in (404, 422)
    assert create_followup(api, ids, "missing-owner", owner_agency_id=999_999).json() == missing.json()
    bad = create_followup(api, ids, "no spaces allowed")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert create_followup(api, ids, "x" * 256).status_code == 422


def _reserve_by_hand(api, key: str, path: str, body_hash: str, locked_for: timedelta) -> None:
    """A reservation as a first request that is still running (or died) leaves it."""
    table = meetings_models.idempotency_keys
    scope_hash = _digest(_caller({b"authorization": api.admin["Authorization"].encode()}), b"POST",
                         path.encode(), key.encode())
    now = utcnow()
    with api.client.app.state.sessionmaker() as session:
        session.execute(table.insert().values(scope_hash=scope_hash, request_hash=body_hash, status="running",
                                              created_at=now, locked_until=now + locked_for))
        session.commit()


def test_while_the_first_request_runs_a_retry_is_409_and_after_its_lease_it_runs_once(meetings_api):
    import json

    api = meetings_api
    ids = setup_puskesmas(api)
    path = f"/api/v1/meetings/{ids['meeting']}/follow-ups"
    body = {"title": "Fogging fokus RW 05", "owner_agency_id": ids["kelurahan"], "due_in_working_days": 5}
    raw = json.dumps(body).encode()
    _reserve_by_hand(api, "busy", path, _digest(b"application/json", raw), timedelta(minutes=1))
    headers = {**api.admin, "Idempotency-Key": "busy", "Content-Type": "application/json"}
    busy = api.post(path, content=raw, headers=headers)
    assert busy.status_code == 409 and busy.headers["retry-after"]
    assert len(outbox_events(api, "followup.created")) == 0

    # The first request died: once its lease has passed, the retry runs (once).
    table = meetings_models.idempotency_keys
    with api.client.app.state.sessionmaker() as session:
        session.execute(update(table).values(locked_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    ran = api.post(path, content=raw, headers=headers)
    assert ran.status_code == 201
    assert api.post(path, content=raw, headers=headers).json() == ran.json()
    assert len(outbox_events(api, "followup.created")) == 1


def test_a_failed_request_frees_its_key_and_keeps_nothing(meetings_api):
    """A 409 from a conditional update that rolled back: the answer is kept; the state is unchanged."""
    api = meetings_api
    ids = setup_puskesmas(api)
    meeting = ids["meeting"]
    api.post(f"/api/v1/meetings/{meeting}/minutes", json={"summary": "Notulen", "decisions": ["Fogging"]})
    first = api.post(f"/api/v1/meetings/{meeting}/publish", headers={**api.admin, "Idempotency-Key": "pub"})
    assert first.status_code == 200 and first.json()["status"] == "published"
    assert api.post(f"/api/v1/meetings/{meeting}/publish",
                    headers={**api.admin, "Idempotency-Key": "pub"}).json() == first.json()
    second = api.post(f"/api/v1/meetings/{meeting}/publish", headers={**api.admin, "Idempotency-Key": "pub-2"})
    assert second.status_code == 409
    assert len(outbox_events(api, "meeting.minutes_published")) == 1


def test_every_service_honours_the_key(service_api):
    indicators = service_api("indicators")
    area = {"code": "99", "name": "Provinsi Uji", "level": "provinsi"}
    first = indicators.post("/api/v1/areas", json=area, headers={**indicators.admin, "Idempotency-Key": "a1"})
    again = indicators.post("/api/v1/areas", json=area, headers={**indicators.admin, "Idempotency-Key": "a1"})
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert indicators.post("/api/v1/areas", json=area).status_code == 409  # without a key: a duplicate

    notifications = service_api("notifications")
    sub = {"agency_id": 7, "event_types": ["followup.*"], "channel": "email", "target": "rt12@example.org"}
    one = notifications.post("/api/v1/subscriptions", json=sub, headers={**notifications.admin, "Idempotency-Key": "s"})
    two = notifications.post("/api/v1/subscriptions", json=sub, headers={**notifications.admin, "Idempotency-Key": "s"})
    assert one.status_code == two.status_code == 201 and two.json() == one.json()
    listed = notifications.get("/api/v1/subscriptions?agency_id=7").json()["items"]
    assert [s["id"] for s in listed] == [one.json()["id"]]


def test_stored_answers_are_encrypted_at_rest(service_api):
    """A webhook subscription's create answer carries its secret: the key's row must not."""
    from minilok_notifications import models as notifications_models

    notifications = service_api("notifications")
    sub = {"agency_id": 7, "event_types": ["followup.*"], "channel": "webhook", "target": "https://example.org/h"}
    created = notifications.post("/api/v1/subscriptions", json=sub,
                                 headers={**notifications.admin, "Idempotency-Key": "w"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    table = notifications_models.idempotency_keys
    with notifications.client.app.state.sessionmaker() as session:
        (stored,) = session.execute(select(table.c.response)).scalars().all()
    assert secret.encode() not in stored and b"whsec_" not in stored
    again = notifications.post("/api/v1/subscriptions", json=sub,
                               headers={**notifications.admin, "Idempotency-Key": "w"})
    assert again.json()["secret"] == secret
