"""Chaos: thousands of follow-up events flow from meetings to webhook subscribers while processes
are killed with SIGKILL, RabbitMQ and Redis restart, PostgreSQL refuses connections and the
receiver fails. Afterwards every expected (event, subscription) delivery has succeeded, once.

Run with `make chaos` only: it restarts the machine's shared Redis and RabbitMQ. Knobs:
CHAOS_FOLLOWUPS (default 5000), CHAOS_SEED (default 8), MINILOK_TEST_DB (make chaos: postgresql).
"""

from __future__ import annotations

import collections
import json
import os
import random
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import create_engine, text
from support import BIN, PG_ADMIN_URL, Processes, backend, free_port, wait_for

pytestmark = pytest.mark.skipif(os.environ.get("MINILOK_CHAOS") != "1",
                                reason="restarts the shared brokers: only `make chaos` runs it")

FOLLOWUPS = int(os.environ.get("CHAOS_FOLLOWUPS", "5000"))
SEED = int(os.environ.get("CHAOS_SEED", "8"))
WEBHOOK_TIMEOUT = 2.0
REDIS_START = ("redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no "
               "--dir /var/lib/redis --logfile /var/log/redis/ci.log")


class ChaosReceiver:
    """Webhook receiver with modes: 'ok' (204), 'error' (500), 'timeout' (answers nothing for
    longer than the sender waits). Records every request that it answered with a 2xx."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.lock = threading.Lock()
        self.succeeded: list[tuple[str, str, str]] = []  # (path, webhook-id, event id)
        self.answers = collections.Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                mode = receiver.mode
                with receiver.lock:
                    receiver.answers[mode] += 1
                if mode == "timeout":
                    time.sleep(WEBHOOK_TIMEOUT + 1)
                    self.close_connection = True
                    return
                status = 500 if mode == "error" else 204
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
                if status == 204:
                    with receiver.lock:
                        receiver.succeeded.append((self.path, self.headers["webhook-id"], json.loads(body)["id"]))

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Faults:
    def __init__(self):
        self.counts = collections.Counter()
        self.log: list[str] = []
        self.started = time.monotonic()

    def note(self, name: str, detail: str = "") -> None:
        self.counts[name] += 1
        self.log.append(f"{time.monotonic() - self.started:7.1f}s  {name} {detail}")
        print(self.log[-1], flush=True)


def sh(command: str, timeout: float = 120) -> None:
    subprocess.run(command, shell=True, check=True, capture_output=True, timeout=timeout)


@pytest.fixture
def chaos_env(tmp_path, database_url):
    assert backend() == "postgresql", "the chaos suite refuses PostgreSQL connections: run it on PostgreSQL"
    vhost = f"minilok-chaos-{os.getpid()}"
    sh(f"rabbitmqctl -q add_vhost {vhost} && rabbitmqctl -q set_permissions -p {vhost} guest '.*' '.*' '.*'")
    ports = {s: free_port() for s in ("meetings", "notifications")}
    env = {
        "RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
        "MINILOK_VAR_DIR": str(tmp_path / "var"),
        "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "1",
        "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS": "1",
        "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": str(WEBHOOK_TIMEOUT),
        "NOTIFICATIONS_RETRY_SCALE": "0.02",
        "NOTIFICATIONS_BREAKER_COOLDOWN_SECONDS": "2",
        "NOTIFICATIONS_TARGET_CONCURRENCY": "8",
        "MEETINGS_SCAN_INTERVAL_SECONDS": "5",
        "RATE_LIMIT_PER_MINUTE": "0",
        "CONSUMER_RETRY_DELAY_MS": "1000",
    }
    urls = {}
    for service, port in ports.items():
        urls[service] = env[f"{service.upper()}_DATABASE_URL"] = database_url(service)
        env[f"{service.upper()}_PORT"] = str(port)
    (tmp_path / "logs").mkdir()
    procs = Processes(env, tmp_path / "logs")
    try:
        yield procs, ports, urls
    finally:
        procs.stop_all()
        for db in urls.values():  # never leave a database closed
            _allow(db, True)
        subprocess.run(f"rabbitmqctl -q delete_vhost {vhost}", shell=True, capture_output=True, timeout=120)


def _dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _allow(url: str, allowed: bool) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = _dbname(url)
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
    engine.dispose()


PROCESSES = {
    "meetings-api": ("serve", "meetings"),
    "meetings-relay-1": ("relay", "meetings"),
    "meetings-relay-2": ("relay", "meetings"),
    "notifications-api": ("serve", "notifications"),
    "notifications-consumer-1": ("consume", "notifications"),
    "notifications-consumer-2": ("consume", "notifications"),
    "notifications-worker-1": ("worker", "notifications", "--concurrency", "4"),
    "notifications-worker-2": ("worker", "notifications", "--concurrency", "2"),
    "meetings-worker": ("worker", "meetings", "--concurrency", "1"),
    "beat": ("beat",),
}
KILLABLE = [n for n in PROCESSES if "relay" in n or "consumer" in n or "worker" in n]


def test_no_delivery_lost_or_doubled_under_chaos(chaos_env):
    procs, ports, urls = chaos_env
    rng = random.Random(SEED)
    receiver = ChaosReceiver()
    faults = Faults()
    for name, args in PROCESSES.items():
        procs.start(name, *args)
    for port in ports.values():
        procs.wait_http(f"http://127.0.0.1:{port}/health", 60)
    token = subprocess.run([str(BIN / "minilok"), "token", "create", "--role", "admin"], env=procs.env,
                           capture_output=True, text=True, check=True).stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    meetings = httpx.Client(base_url=f"http://127.0.0.1:{ports['meetings']}/api/v1", headers=auth, timeout=30)
    notifications = httpx.Client(base_url=f"http://127.0.0.1:{ports['notifications']}/api/v1", headers=auth,
                                 timeout=30)
    pid = meetings.post("/puskesmas", json={"code": "CH01", "name": "Puskesmas Chaos", "timezone": "Asia/Jakarta",
                                            "area_code": "21.71", "kota": "Kota Batam",
                                            "provinsi": "Kepulauan Riau"}).json()["id"]
    agency = meetings.post("/agencies", json={"name": "Kelurahan Chaos", "kind": "kelurahan",
                                              "puskesmas_id": pid}).json()["id"]
    meeting = meetings.post("/meetings", json={"puskesmas_id": pid, "kind": "monthly_internal", "title": "Lokmin",
                                               "scheduled_at": "2026-03-02T09:00:00+07:00"}).json()["id"]
    subscriptions = {}
    for path, body in (("/agency", {"agency_id": agency}),
                       ("/puskesmas", {"agency_id": agency, "filters": {"puskesmas_id": pid}})):
        r = notifications.post("/subscriptions", json={**body, "event_types": ["followup.*"], "channel": "webhook",
                                                       "target": receiver.base + path})
        assert r.status_code == 201, r.text
        subscriptions[r.json()["id"]] = path

    # --- load: FOLLOWUPS follow-ups created over HTTP by 4 clients, retried through outages with
    # one Idempotency-Key per follow-up, so that a create that committed as its connection dropped
    # is answered again, not made twice ---
    created, api_errors = collections.Counter(), collections.Counter()

    def load(worker: int) -> None:
        client = httpx.Client(base_url=meetings.base_url, headers=auth, timeout=10)
        for i in range(worker, FOLLOWUPS, 4):
            while True:
                try:
                    r = client.post(f"/meetings/{meeting}/follow-ups", headers={"Idempotency-Key": f"chaos-{i}"},
                                    json={"title": f"Tindak lanjut {i}", "owner_agency_id": agency,
                                          "due_in_working_days": 20})
                    if r.status_code == 201:
                        created["ok"] += 1
                        break
                    api_errors[r.status_code] += 1
                except httpx.HTTPError as exc:
                    api_errors[type(exc).__name__] += 1
                time.sleep(0.5)

    loaders = [threading.Thread(target=load, args=(w,), daemon=True) for w in range(4)]
    for t in loaders:
        t.start()

    # --- faults, at random moments, while the load runs and just after ------------------
    def kill_and_restart(name: str) -> None:
        procs.kill9(name)
        faults.note("kill -9", name)
        time.sleep(rng.uniform(0.2, 2.0))
        procs.start(name, *PROCESSES[name])

    def outage(name: str, down, up, seconds: float) -> None:
        faults.note(name, f"for {seconds:.0f}s")
        down()
        time.sleep(seconds)
        up()

    def receiver_mode(mode: str, seconds: float) -> None:
        faults.note(f"receiver {mode}", f"for {seconds:.0f}s")
        receiver.mode = mode
        time.sleep(seconds)
        receiver.mode = "ok"

    big = [
        lambda: outage("RabbitMQ restart", lambda: sh("rabbitmqctl stop_app"), lambda: sh("rabbitmqctl start_app"), 3),
        lambda: outage("Redis restart", lambda: subprocess.run("redis-cli shutdown nosave", shell=True,
                                                               capture_output=True),
                       lambda: sh(REDIS_START), 2),
        lambda: outage("PostgreSQL refuses connections", lambda: [_allow(u, False) for u in urls.values()],
                       lambda: [_allow(u, True) for u in urls.values()], 10),
        lambda: receiver_mode("error", 10),
        lambda: receiver_mode("timeout", 10),
    ]
    rng.shuffle(big)
    plan = big + [lambda n=n: kill_and_restart(n) for n in rng.choices(KILLABLE, k=18)]
    rng.shuffle(plan)
    time.sleep(3)
    for step in plan:
        step()
        time.sleep(rng.uniform(1, 4))
        if not any(t.is_alive() for t in loaders) and faults.counts["kill -9"] >= 12 and \
                all(faults.counts[k] for k in ("RabbitMQ restart", "Redis restart", "PostgreSQL refuses connections",
                                               "receiver error", "receiver timeout")):
            break
    for t in loaders:
        t.join(600)
    load_done = time.monotonic()

    # --- settle: every outbox row published, every expected delivery delivered ------------
    m_engine, n_engine = create_engine(urls["meetings"]), create_engine(urls["notifications"])

    def unpublished() -> int:
        with m_engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))

    def expected() -> set[tuple[str, int]]:
        with m_engine.connect() as conn:
            ids = conn.scalars(text("SELECT event_id FROM outbox WHERE type LIKE 'followup.%'")).all()
        return {(e, s) for e in ids for s in subscriptions}

    def delivered() -> dict[tuple[str, int], int]:
        with n_engine.connect() as conn:
            rows = conn.execute(text("SELECT event_id, subscription_id, count(*) FROM deliveries "
                                     "WHERE status = 'delivered' GROUP BY event_id, subscription_id")).all()
        return {(e, s): c for e, s, c in rows}

    wait_for(lambda: unpublished() == 0, 300, 1, "every outbox row published")
    want = expected()
    wait_for(lambda: want <= delivered().keys(), 900, 2, "every expected delivery delivered")
    time.sleep(5)  # anything doubled would show up now
    drained = time.monotonic()

    with n_engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT status, count(*) FROM deliveries GROUP BY status")).all())
        attempts = conn.scalar(text("SELECT coalesce(sum(attempt_count), 0) FROM deliveries"))
    with m_engine.connect() as conn:
        followups = conn.scalar(text("SELECT count(*) FROM followups"))
    got = delivered()
    by_key = collections.defaultdict(set)
    receipts = collections.Counter()
    path_to_sub = {p: s for s, p in subscriptions.items()}
    for path, webhook_id, event_id in receiver.succeeded:
        by_key[(event_id, path_to_sub[path])].add(webhook_id)
        receipts[webhook_id] += 1
    missing = want - set(by_key)
    doubled_rows = {k: c for k, c in got.items() if c != 1}
    two_ids = {k: v for k, v in by_key.items() if len(v) != 1}
    extra = set(by_key) - want
    repeated = sum(c - 1 for c in receipts.values() if c > 1)

    rows = [("follow-ups created (API 201)", created["ok"]), ("follow-ups in the database", followups),
            ("followup.* events in the outbox", len(want) // len(subscriptions)),
            ("expected (event, subscription) deliveries", len(want)),
            ("delivered once (system side)", sum(1 for k in want if got.get(k) == 1)),
            ("received by the webhook (distinct webhook-id)", len(receipts)),
            ("lost", len(missing)), ("doubled in the system", len(doubled_rows)),
            ("one (event, subscription) under two webhook-ids", len(two_ids)),
            ("repeat receipts of a webhook-id (at-least-once, deduplicated by webhook-id)", repeated),
            ("outbox rows unpublished", unpublished()), ("delivery attempts in all", attempts),
            ("deliveries by status", dict(statuses)), ("receiver answers by mode", dict(receiver.answers)),
            ("API errors during faults (retried)", dict(api_errors)),
            ("seconds: load + faults / drain after", f"{load_done - faults.started:.0f} / {drained - load_done:.0f}")]
    print(f"\n\nFaults injected (seed {SEED}):")
    print(f"  {'fault':40s} count")
    for name, n in sorted(faults.counts.items()):
        print(f"  {name:40s} {n}")
    print("\nOutcome:")
    for name, value in rows:
        print(f"  {name:78s} {value}")
    print("\nTimeline:\n  " + "\n  ".join(faults.log))

    assert created["ok"] == FOLLOWUPS and followups == FOLLOWUPS, "a retried create made a second follow-up"
    assert not api_errors.get(500), f"500s during faults: {dict(api_errors)}"
    assert not missing, f"{len(missing)} deliveries lost, e.g. {sorted(missing)[:5]}"
    assert not doubled_rows and not two_ids and not extra
    assert unpublished() == 0
    assert all(faults.counts[k] for k in ("RabbitMQ restart", "Redis restart", "PostgreSQL refuses connections",
                                          "receiver error", "receiver timeout", "kill -9"))
