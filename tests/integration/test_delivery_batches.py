"""Deliveries in batches (issue 19): one claim statement, concurrent sends to real local receivers,
one record statement, and two workers claiming at once never sending a delivery twice."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from minilok_notifications import models
from minilok_notifications.service_layer.attempts import attempt_batch, claim_due
from minilok_notifications.service_layer.fan_out import record_event
from minilok_shared.db import utcnow
from sqlalchemy import event, func, select
from test_notifications_support import followup_event, notifications_client, token

ADMIN = token("admin")
SLOW_SECONDS = 1.0


class Endpoint:
    """A webhook receiver answering every request with one status, after `delay` seconds; counts
    each webhook-id it receives."""

    def __init__(self, status: int = 200, delay: float = 0.0):
        self.ids: Counter[str] = Counter()
        lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    endpoint.ids[self.headers["webhook-id"]] += 1
                time.sleep(delay)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def client(monkeypatch, database_url):
    # Breaker and per-target limit out of the way: this test is about the batch, test_notifications_target_guard
    # about them.
    with notifications_client(monkeypatch, database_url("notifications"), NOTIFICATIONS_ALLOW_PRIVATE_TARGETS="1",
                              NOTIFICATIONS_BREAKER_THRESHOLD="1000", NOTIFICATIONS_TARGET_CONCURRENCY="8",
                              NOTIFICATIONS_DELIVERY_BATCH_SIZE="50") as c:
        yield c


def subscribe(client, url: str) -> int:
    r = client.post("/api/v1/subscriptions", headers=ADMIN, json={
        "agency_id": 10, "event_types": ["followup.*"], "channel": "webhook", "target": url})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def record_events(client, count: int) -> list[int]:
    ids = []
    with client.app.state.sessionmaker.begin() as session:
        for _ in range(count):
            ids += record_event(session, followup_event(str(uuid.uuid4())))
    return ids


def statements(engine, part: str) -> list:
    """The (statement, executemany) pairs run on `engine` that contain `part`, as they run."""
    seen = []

    @event.listens_for(engine, "before_cursor_execute")
    def note(conn, cursor, statement, parameters, context, executemany):
        if part in statement.upper():
            seen.append((statement, executemany))

    return seen


def test_a_batch_of_50_is_claimed_sent_concurrently_and_recorded_in_one_statement(client):
    ok, failing, gone, slow = Endpoint(200), Endpoint(500), Endpoint(410), Endpoint(200, SLOW_SECONDS)
    try:
        subs = {name: subscribe(client, url) for name, url in
                (("ok", ok.url), ("ok_too", ok.url.replace("/hook", "/too")), ("failing", failing.url),
                 ("gone", gone.url), ("slow", slow.url))}
        ids = record_events(client, 10)  # 10 events x 5 subscriptions
        state = client.app.state
        engine = state.sessionmaker.kw["bind"]
        updates = statements(engine, "UPDATE DELIVERIES")
        started = time.monotonic()
        outcomes = attempt_batch(state.sessionmaker, state.settings)
        elapsed = time.monotonic() - started
    finally:
        for endpoint in (ok, failing, gone, slow):
            endpoint.close()
    assert len(ids) == 50 and sorted(outcomes) == sorted(ids)
    # Sent concurrently: the slow target's ten answers one after another would take ten seconds.
    assert elapsed < 10 * SLOW_SECONDS * 0.6
    claims = [s for s, many in updates if "SET LEASE_UNTIL" in s.upper()]
    records = [(s, many) for s, many in updates if "SET LEASE_UNTIL" not in s.upper()]
    assert len(claims) == 1 and len(records) == 1 and records[0][1]  # one claim, one executemany record
    for endpoint, count in ((ok, 20), (failing, 10), (gone, 10), (slow, 10)):
        assert len(endpoint.ids) == count and set(endpoint.ids.values()) == {1}
    with state.sessionmaker() as session:
        rows = {d.id: d for d in session.scalars(select(models.Delivery))}
        by_sub = {name: [d for d in rows.values() if d.subscription_id == sub_id] for name, sub_id in subs.items()}
        assert {d.status for d in by_sub["ok"] + by_sub["ok_too"] + by_sub["slow"]} == {"delivered"}
        assert all(d.delivered_at and d.lease_until is None and d.attempt_count == 1 for d in by_sub["ok"])
        retried = by_sub["failing"]
        assert {d.status for d in retried} == {"pending"} and all(
            d.attempt_count == 1 and d.last_response_status == 500 and d.next_attempt_at > d.created_at
            and d.lease_until is None and outcomes[d.id][1] is not None for d in retried)
        assert {(d.status, d.last_response_status) for d in by_sub["gone"]} == {("failed", 410)}
        gone_sub, failing_sub = session.get(models.Subscription, subs["gone"]), \
            session.get(models.Subscription, subs["failing"])
        assert not gone_sub.active and "410" in gone_sub.disabled_reason
        assert failing_sub.active and failing_sub.failing_since is not None
        assert session.get(models.Subscription, subs["ok"]).failing_since is None
        outbox = models.outbox
        failed_events = session.scalar(select(func.count()).select_from(outbox)
                                       .where(outbox.c.type == "notification.failed"))
        assert failed_events == 10  # one per delivery failed for good, through the outbox
    # Nothing is due now: the retries wait for their time.
    assert attempt_batch(state.sessionmaker, state.settings) == {}


def test_two_workers_claiming_at_once_never_send_a_delivery_twice(client):
    endpoint = Endpoint(200, 0.01)
    try:
        subscribe(client, endpoint.url)
        subscribe(client, endpoint.url.replace("/hook", "/other"))
        ids = record_events(client, 100)
        state = client.app.state
        claimed: list[list[int]] = [[], []]

        def work(n: int) -> None:
            while outcomes := attempt_batch(state.sessionmaker, state.settings):
                claimed[n] += outcomes

        workers = [threading.Thread(target=work, args=(n,)) for n in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        endpoint.close()
    assert len(ids) == 200
    assert not set(claimed[0]) & set(claimed[1]) and sorted(claimed[0] + claimed[1]) == sorted(ids)
    assert len(endpoint.ids) == 200 and set(endpoint.ids.values()) == {1}
    with state.sessionmaker() as session:
        assert set(session.scalars(select(models.Delivery.status))) == {"delivered"}


def test_postgresql_claims_skip_rows_another_worker_holds(client):
    state = client.app.state
    if state.sessionmaker.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; there is no row lock to skip")
    subscribe(client, "http://127.0.0.1:9/hook")
    ids = record_events(client, 10)
    now, lease = utcnow(), 60
    with state.sessionmaker.begin() as first:
        taken = claim_due(first, now, lease, limit=4)  # locked until this transaction ends
        with state.sessionmaker.begin() as second:  # does not wait for the first
            others = claim_due(second, now, lease, limit=50)
    assert len(taken) == 4 and len(others) == 6 and sorted(taken + others) == sorted(ids)


def test_events_about_the_same_agencies_look_their_subscriptions_up_once_per_transaction(client):
    subs = [subscribe(client, f"http://127.0.0.1:9/{name}") for name in ("a", "b")]
    engine = client.app.state.sessionmaker.kw["bind"]
    lookups = statements(engine, "FROM SUBSCRIPTIONS")
    ids = record_events(client, 20)  # one transaction, as a consumer's batch
    assert len(ids) == 40  # each event still reaches both subscriptions
    assert len(lookups) == 1
    with client.app.state.sessionmaker() as session:
        assert {s for (s,) in session.execute(select(models.Delivery.subscription_id))} == set(subs)
    record_events(client, 1)  # a new transaction asks again: nothing stale carries over
    assert len(lookups) == 2
