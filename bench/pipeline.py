"""Event pipeline (issue 9): follow-up events from the meetings outbox to a recorded webhook
delivery, through real processes as `make run` starts them.

    python bench/pipeline.py [--events 3000] [--workers-list 1,2,4] [--latency-seconds 30]

For each entry of --workers-list, n: one `minilok relay meetings`, n `minilok consume
notifications` and n `minilok worker notifications` (Celery's default concurrency), against a
fresh RabbitMQ vhost, fresh PostgreSQL databases (meetings, notifications) and a unique
REDIS_KEY_PREFIX. Follow-ups are created with their `followup.created` events through the real
`Outbox` API, in transactions of --batch; the owning agency's webhook subscription (agency
scope) hears each one. Throughput: the events are written to the outbox while the relay is down
(the generator writes about as fast as one pipeline carries, so it would cap the figure), then a
relay starts; events per second from its connecting to RabbitMQ until the last delivery row is
recorded `delivered` in the notifications database (`--live-writes`: from the first outbox
commit, written while the pipeline runs).

Baseline in the same run: raw pika publishes with publisher confirms (BlockingConnection,
`confirm_delivery`, persistent messages of the same body size) to a durable queue.

Latency: with the fastest configuration, follow-ups are created one per transaction at half the
best measured rate for --latency-seconds; commit → arrival at the webhook receiver, p50/p95/p99.
`--only-latency --latency-rate R --workers-list n` makes only that run (short before/after pairs).

Memory: every process (Celery children included) is sampled with psutil every 0.5 s: peak RSS,
and RSS at the start and the end of each sustained run.

Prints a table and writes JSON to bench/results/pipeline-<timestamp>.json. Everything it creates
(processes, databases, vhosts, Redis keys) is removed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pika
import psutil
import redis
from sqlalchemy import create_engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import (  # noqa: E402
    PG_ADMIN, drop_database, fresh_database, insert_due_followups, percentile, table, write_result)
from reminder_burst import scanner  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BENCH_SECRET = "minilok-bench-secret-0123456789abcdef0123456789"
RUN_ID = uuid.uuid4().hex[:8]


# --- cleanup of everything we create ------------------------------------------------------

class Cleanup:
    """Undo actions, run last-in first-out; each runs once even if called again."""

    def __init__(self) -> None:
        self._actions: list[tuple[str, object]] = []

    def add(self, label: str, fn) -> None:
        self._actions.append((label, fn))

    def run(self) -> None:
        while self._actions:
            label, fn = self._actions.pop()
            try:
                fn()
            except Exception as exc:  # keep cleaning the rest
                print(f"cleanup: {label} failed: {exc}", file=sys.stderr)


def _sigterm(*_args):
    raise KeyboardInterrupt


# --- PostgreSQL, RabbitMQ, Redis ------------------------------------------------------------

def create_database(admin_url: str, service: str) -> str:
    return fresh_database(None, f"minilok_bench_{service}_{RUN_ID}", admin_url)


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def create_vhost(amqp_base: str) -> tuple[str, str]:
    vhost = f"minilok-bench-{RUN_ID}-{uuid.uuid4().hex[:4]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return vhost, f"{amqp_base.rstrip('/')}/{quote(vhost, safe='')}"


def delete_redis_prefix(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])
    client.close()


# --- the webhook receiver: its own process, answers 200 and records arrivals -------------------

def _receiver_main(ports_out, control) -> None:
    """Run one ThreadingHTTPServer per agency target; answer 200 at once; record (event id,
    arrival time). Commands on `control`: "count", "arrivals", "stop"."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops us after its cleanup
    arrivals: list[tuple[str, float]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the workers' httpx clients reuse connections

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            now = time.time()
            try:
                event_id = json.loads(body)["id"]
            except Exception:
                event_id = "?"
            arrivals.append((event_id, now))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):  # a worker closing its keep-alive connection
            if not isinstance(sys.exc_info()[1], ConnectionResetError):
                super().handle_error(request, client_address)

    servers = []
    for _ in range(ports_out):
        server = Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    control.send([s.server_address[1] for s in servers])
    while True:
        command = control.recv()
        if command == "count":
            control.send(len(arrivals))
        elif command == "arrivals":
            control.send(list(arrivals))
        elif command == "stop":
            for server in servers:
                server.shutdown()
            control.send("stopped")
            return


class Receiver:
    def __init__(self, targets: int):
        ctx = mp.get_context("spawn")
        self.control, child = ctx.Pipe()
        self.process = ctx.Process(target=_receiver_main, args=(targets, child), daemon=True)
        self.process.start()
        self.ports: list[int] = self.control.recv()

    def ask(self, command: str):
        self.control.send(command)
        return self.control.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(Exception):
                self.ask("stop")
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(5)


# --- real processes ----------------------------------------------------------------------

class Processes:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([str(BIN / "minilok"), *args], env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_line(self, name: str, line: str, timeout: float = 90, poll: float = 0.2) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if line in self.log(name):
                return
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited ({self.procs[name].returncode}):\n{self.log(name)[-3000:]}")
            time.sleep(poll)
        raise RuntimeError(f"{name}: no {line!r} within {timeout}s:\n{self.log(name)[-3000:]}")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.procs.clear()


class Profiler:
    """`py-spy record` (collapsed stacks) on every process and its children while a run lasts."""

    def __init__(self, out_dir: str | None, label: str, pids: dict[str, int]):
        self.out_dir, self.label, self.pids = out_dir, label, pids
        self.spies: list[subprocess.Popen] = []

    def __enter__(self):
        if self.out_dir:
            Path(self.out_dir).mkdir(parents=True, exist_ok=True)
            for name, pid in self.pids.items():
                self.spies.append(subprocess.Popen(
                    [str(BIN / "py-spy"), "record", "--subprocesses", "--rate", "200", "--format", "raw",
                     *shlex.split(os.environ.get("BENCH_PYSPY_FLAGS", "")),
                     "--output", str(Path(self.out_dir) / f"{self.label}-{name}.txt"), "--pid", str(pid)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(1)
        return self

    def __exit__(self, *_exc):
        for spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for spy in self.spies:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(5)


class MemorySampler:
    """RSS of every process (and its children: Celery's prefork pool) every `interval` s."""

    def __init__(self, roots: dict[str, int], interval: float = 0.5):
        self.roots, self.interval = roots, interval
        self.samples: dict[str, list[tuple[float, int]]] = {}
        self.cpu: dict[str, list[float]] = {}  # user + system seconds, first and last sample
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _names(self) -> dict[str, psutil.Process]:
        found = {}
        for name, pid in self.roots.items():
            try:
                root = psutil.Process(pid)
                found[name] = root
                for i, child in enumerate(sorted(root.children(recursive=True), key=lambda p: p.pid), 1):
                    found[f"{name}.child{i}"] = child
            except psutil.Error:
                continue
        return found

    def sample(self) -> None:
        now = time.time()
        for name, proc in self._names().items():
            with contextlib.suppress(psutil.Error):
                self.samples.setdefault(name, []).append((now, proc.memory_info().rss))
                cpu = proc.cpu_times()
                seen = self.cpu.setdefault(name, [cpu.user + cpu.system])
                seen[1:] = [cpu.user + cpu.system]

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()

    def __enter__(self):
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stopping.set()
        self.thread.join(5)
        self.sample()

    def summary(self) -> dict[str, dict[str, float]]:
        mib = 1024 * 1024
        return {name: {"start_mib": round(s[0][1] / mib, 1), "end_mib": round(s[-1][1] / mib, 1),
                       "peak_mib": round(max(r for _, r in s) / mib, 1), "samples": len(s),
                       "cpu_seconds": round(self.cpu[name][-1] - self.cpu[name][0], 2)}
                for name, s in sorted(self.samples.items())}


# --- one system under test ----------------------------------------------------------------

class Stack:
    """A vhost, two databases, a Redis prefix, seeded agencies and subscriptions, the processes."""

    def __init__(self, args, cleanup: Cleanup, receiver: Receiver, workers: int, consumers: int, label: str):
        from minilok_meetings.spec import spec as meetings_spec
        from minilok_notifications.spec import spec as notifications_spec
        from minilok_shared.db import upgrade

        self.args, self.receiver, self.label = args, receiver, label
        self.workers, self.consumers = workers, consumers
        # Undone when the run ends (`close`), or by the global cleanup on failure or Ctrl-C.
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"minilok-bench-{label}-"))
        self.closed = False
        cleanup.add(f"stack {label}", lambda: self.close(keep_logs=True))
        cleanup = self.cleanup = Cleanup()
        self.vhost, self.rabbitmq_url = create_vhost(args.rabbitmq_url)
        cleanup.add(f"vhost {self.vhost}", lambda: rabbitmqctl("delete_vhost", self.vhost))
        self.meetings_url = create_database(args.database_url, "meetings")
        cleanup.add("meetings db", lambda: drop_database(self.meetings_url, args.database_url))
        self.notifications_url = create_database(args.database_url, "notifications")
        cleanup.add("notifications db", lambda: drop_database(self.notifications_url, args.database_url))
        self.prefix = f"bench-{RUN_ID}-{uuid.uuid4().hex[:4]}:"
        cleanup.add("redis keys", lambda: delete_redis_prefix(args.redis_url, self.prefix))
        upgrade(meetings_spec.migrations, self.meetings_url, "meetings")
        upgrade(notifications_spec.migrations, self.notifications_url, "notifications")
        self.meetings_engine = create_engine(self.meetings_url, pool_size=2)
        self.notifications_engine = create_engine(self.notifications_url, pool_size=2)
        cleanup.add("engines", lambda: (self.meetings_engine.dispose(), self.notifications_engine.dispose()))
        self._seed()
        env = {
            "MEETINGS_DATABASE_URL": self.meetings_url,
            "NOTIFICATIONS_DATABASE_URL": self.notifications_url,
            "RABBITMQ_URL": self.rabbitmq_url,
            "REDIS_URL": args.redis_url,
            "REDIS_KEY_PREFIX": self.prefix,
            "MINILOK_SECRET": BENCH_SECRET,
            "MINILOK_VAR_DIR": str(self.log_dir / "var"),
            "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "1",
        }
        self.procs = Processes(env, self.log_dir)
        cleanup.add("processes", self.procs.stop_all)

    def _seed(self) -> None:
        """A puskesmas, one agency per receiver port, a meeting (meetings DB); one agency-scope
        webhook subscription to `followup.*` per agency (notifications DB), as the API writes it."""
        from minilok_meetings import models as m
        from minilok_notifications.channels import webhook_secrets
        from minilok_notifications import models as n
        from sqlalchemy.orm import Session

        now = datetime.now(UTC)
        with Session(self.meetings_engine) as session, session.begin():
            puskesmas = m.Puskesmas(code="P2171060", name="Puskesmas Baloi Permai", timezone="Asia/Jakarta",
                                    area_code="21.71.06", kota="Kota Batam", provinsi="Kepulauan Riau",
                                    extra_holidays=[])
            session.add(puskesmas)
            session.flush()
            agencies = [m.Agency(name=f"Kelurahan {i + 1}", kind="kelurahan", puskesmas_id=puskesmas.id)
                        for i in range(len(self.receiver.ports))]
            session.add_all(agencies)
            meeting = m.Meeting(puskesmas_id=puskesmas.id, kind="quarterly_cross_sector",
                                title="Lokakarya mini lintas sektor", scheduled_at=now, status="published",
                                decisions=[])
            session.add(meeting)
            session.flush()
            self.puskesmas_id, self.meeting_id = puskesmas.id, meeting.id
            self.agency_ids = [a.id for a in agencies]
        with Session(self.notifications_engine) as session, session.begin():
            for agency_id, port in zip(self.agency_ids, self.receiver.ports, strict=True):
                session.add(n.Subscription(
                    agency_id=agency_id, scope="agency", event_types=["followup.*"], channel="webhook",
                    target=f"http://127.0.0.1:{port}/hook", language="id", digest="immediate",
                    timezone="Asia/Jakarta", active=True, created_by="bench", created_by_role="admin",
                    secret_encrypted=webhook_secrets.encrypt(BENCH_SECRET, webhook_secrets.new_webhook_secret())))

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        self.close(keep_logs=exc_type is not None)  # a failed run keeps its processes' logs

    def close(self, keep_logs: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.cleanup.run()
        if keep_logs or self.args.keep_logs:
            print(f"{self.label}: process logs kept in {self.log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def start(self) -> dict[str, int]:
        worker_args = shlex.split(self.args.worker_args)
        self.procs.start("relay", "relay", "meetings")
        for i in range(1, self.consumers + 1):
            self.procs.start(f"consumer{i}", "consume", "notifications")
        for i in range(1, self.workers + 1):
            self.procs.start(f"worker{i}", "worker", "notifications", "--hostname", f"bench{i}-{RUN_ID}@%h",
                             *worker_args)
        self.procs.wait_for_line("relay", "relay connected to RabbitMQ")
        for i in range(1, self.consumers + 1):
            self.procs.wait_for_line(f"consumer{i}", "consuming minilok.notifications")
        for i in range(1, self.workers + 1):
            self.procs.wait_for_line(f"worker{i}", " ready")
        return {name: proc.pid for name, proc in self.procs.procs.items()}

    # -- writing events --

    def write_followups(self, count: int) -> list[tuple[str, float]]:
        """Create `count` follow-ups in one transaction, as the API does (row, history, and the
        `followup.created` event through the real Outbox API); (event id, commit time) each."""
        from minilok_meetings import models as m
        from minilok_meetings.events import emit_followup_event
        from sqlalchemy.orm import Session

        now = datetime.now(UTC)
        with Session(self.meetings_engine, expire_on_commit=False) as session:
            followups = []
            for i in range(count):
                followups.append(m.FollowUp(
                    meeting_id=self.meeting_id, puskesmas_id=self.puskesmas_id,
                    title="PSN di RW dengan kasus DBD terbanyak", action="Pemberantasan sarang nyamuk serentak",
                    owner_agency_id=self.agency_ids[(self._written + i) % len(self.agency_ids)],
                    due_at=now + timedelta(days=7), area_code="21.71.06", priority="high", status="open",
                    escalation_level=0, reminder_stage=0, percent=0, supporters=[]))
            session.add_all(followups)
            session.flush()
            events = []
            for followup in followups:
                session.add(m.FollowUpHistory(followup_id=followup.id, actor="bench", kind="created",
                                              data={"status": "open", "due_at": followup.due_at.isoformat()}))
                events.append(emit_followup_event(session, "followup.created", followup, actor="bench"))
            session.commit()
        committed = time.time()
        self._written += count
        return [(e["id"], committed) for e in events]

    _written = 0

    def delivered(self) -> int:
        from minilok_notifications import models as n

        with self.notifications_engine.connect() as conn:
            return conn.scalar(select(func.count()).where(n.Delivery.status == "delivered"))

    def delivered_times(self) -> list[float]:
        from minilok_notifications import models as n

        with self.notifications_engine.connect() as conn:
            return sorted(t.timestamp() for t in conn.scalars(
                select(n.Delivery.delivered_at).where(n.Delivery.status == "delivered")))

    def wait_delivered(self, expected: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while True:
            got = self.delivered()
            if got >= expected:
                return got
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label}: only {got} of {expected} deliveries after {timeout:.0f}s "
                                   f"(logs in {self.log_dir})")
            time.sleep(0.25)

    def body_size(self) -> int:
        from minilok_meetings import models as m

        with self.meetings_engine.connect() as conn:
            return int(conn.scalar(select(func.avg(func.length(m.outbox.c.body)))))

    def tracebacks(self) -> list[str]:
        return [name for name in self.procs.procs if "Traceback" in self.procs.log(name)]


# --- the measurements --------------------------------------------------------------------

def baseline(args, cleanup: Cleanup, body_size: int) -> dict:
    """Raw pika: persistent messages of `body_size` bytes to a durable queue, each confirmed."""
    vhost, url = create_vhost(args.rabbitmq_url)
    cleanup.add(f"vhost {vhost}", lambda: rabbitmqctl("delete_vhost", vhost))
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.queue_declare("bench.baseline", durable=True)
        channel.confirm_delivery()
        body = b"x" * body_size
        properties = pika.BasicProperties(content_type="application/cloudevents+json",
                                          delivery_mode=pika.DeliveryMode.Persistent)
        for _ in range(200):  # warm-up
            channel.basic_publish("", "bench.baseline", body, properties)
        started = time.perf_counter()
        for _ in range(args.baseline_messages):
            channel.basic_publish("", "bench.baseline", body, properties)
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return {"messages": args.baseline_messages, "body_bytes": body_size, "seconds": round(elapsed, 3),
            "messages_per_second": round(args.baseline_messages / elapsed, 1)}


def sample_body_size() -> int:
    """Bytes of a `followup.created` event as the meetings service writes it (the baseline's body)."""
    from minilok_shared.events.envelope import dumps, new_event

    data = {"followup": {"id": 12345, "meeting_id": 1, "puskesmas_id": 1,
                         "title": "PSN di RW dengan kasus DBD terbanyak",
                         "action": "Pemberantasan sarang nyamuk serentak", "owner_agency_id": 3,
                         "supporting_agency_ids": [], "due_at": datetime.now(UTC).isoformat(), "status": "open",
                         "escalation_level": 0, "area_code": "21.71.06", "indicator_code": None}, "actor": "bench"}
    return len(dumps(new_event("followup.created", "/meetings", 12345, data, puskesmasid=1, ownerid=3)))


def warm_up(stack: Stack, count: int = 20) -> None:
    stack.write_followups(count)
    stack.wait_delivered(count, 60)


def throughput(args, cleanup: Cleanup, receiver: Receiver, n: int) -> dict:
    with Stack(args, cleanup, receiver, workers=n, consumers=n, label=f"c{n}w{n}") as stack:
        pids = stack.start()
        warm_up(stack)
        warm = stack.delivered()
        if args.prewrite:
            # The events wait in the outbox while the relay is down; the clock starts when a new
            # relay has connected, so the generator's own write speed is not what is measured.
            stack.procs.stop("relay")
            del pids["relay"]
            for start in range(0, args.events, args.batch):
                stack.write_followups(min(args.batch, args.events - start))
            stack.procs.start("relay-2", "relay", "meetings")
            pids["relay"] = stack.procs.procs["relay-2"].pid
        with MemorySampler(pids) as memory, Profiler(args.profile, stack.label, pids):
            if args.prewrite:
                stack.procs.wait_for_line("relay-2", "relay connected to RabbitMQ", poll=0.02)
                started = written = time.time()
            else:
                started = time.time()
                for start in range(0, args.events, args.batch):
                    stack.write_followups(min(args.batch, args.events - start))
                written = time.time()
            stack.wait_delivered(warm + args.events, args.timeout)
        times = stack.delivered_times()[warm:]
        last = times[-1]
        # The middle 80 % of the deliveries: the sustained rate without ramp-up and tail.
        lo, hi = times[len(times) // 10], times[len(times) * 9 // 10]
        result = {
            "consumers": n, "workers": n, "worker_args": args.worker_args, "events": args.events, "batch": args.batch,
            "prewritten": args.prewrite,
            "write_seconds": round(written - started, 2),
            "seconds": round(last - started, 2),
            "events_per_second": round(args.events / (last - started), 1),
            "sustained_events_per_second": round((len(times) * 8 // 10) / (hi - lo), 1) if hi > lo else None,
            "body_bytes": stack.body_size(),
            "memory": memory.summary(),
            "processes_with_tracebacks": stack.tracebacks(),
        }
    return result


def latency(args, cleanup: Cleanup, receiver: Receiver, n: int, rate: float) -> dict:
    with Stack(args, cleanup, receiver, workers=n, consumers=n, label=f"latency-c{n}w{n}") as stack:
        pids = stack.start()
        warm_up(stack)
        warm = stack.delivered()
        already = {event_id for event_id, _ in receiver.ask("arrivals")}
        committed: dict[str, float] = {}
        interval = 1.0 / rate
        with MemorySampler(pids) as memory, Profiler(args.profile, stack.label, pids):
            started = time.time()
            i = 0
            while True:
                due = started + i * interval
                if due - started >= args.latency_seconds:
                    break
                pause = due - time.time()
                if pause > 0:
                    time.sleep(pause)
                for event_id, at in stack.write_followups(1):
                    committed[event_id] = at
                i += 1
            produced_seconds = time.time() - started
            stack.wait_delivered(warm + len(committed), args.timeout)
            deadline = time.monotonic() + 10  # the row is recorded after the receiver answered
            while time.monotonic() < deadline:
                arrivals = [(e, t) for e, t in receiver.ask("arrivals") if e in committed and e not in already]
                if len({e for e, _ in arrivals}) >= len(committed):
                    break
                time.sleep(0.1)
        first: dict[str, float] = {}
        for event_id, at in arrivals:
            first.setdefault(event_id, at)
        ms = sorted((first[e] - committed[e]) * 1000 for e in first)
        result = {
            "consumers": n, "workers": n, "target_rate": round(rate, 1), "events": len(committed),
            "achieved_rate": round(len(committed) / produced_seconds, 1),
            "received": len(first), "repeat_receipts": len(arrivals) - len(first),
            "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(ms[-1], 1), "mean_ms": round(sum(ms) / len(ms), 1),
            "memory": memory.summary(),
            "processes_with_tracebacks": stack.tracebacks(),
        }
    return result


def burst(args, cleanup: Cleanup, receiver: Receiver, n: int) -> dict:
    """--burst follow-ups fall due at once: the reminder scan (--scanners processes, as the
    meetings worker runs it) writes their `followup.overdue` events, and the pipeline carries each
    to its agency's webhook. Timed from the scan's start to the last delivery recorded `delivered`."""
    with Stack(args, cleanup, receiver, workers=n, consumers=n, label=f"burst-c{n}w{n}") as stack:
        due = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        with stack.meetings_engine.begin() as conn:
            insert_due_followups(conn, meeting_id=stack.meeting_id, puskesmas_id=stack.puskesmas_id,
                                 agency_ids=stack.agency_ids, count=args.burst, due=due)
        pids = stack.start()
        warm_up(stack)
        warm = stack.delivered()
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        with MemorySampler(pids) as memory, Profiler(args.profile, stack.label, pids):
            started = time.time()
            scanners = [ctx.Process(target=scanner, args=(stack.meetings_url, due + timedelta(seconds=30), out))
                        for _ in range(args.scanners)]
            for proc in scanners:
                proc.start()
            [out.get(timeout=args.burst_timeout) for _ in scanners]
            for proc in scanners:
                proc.join(30)
            scanned = time.time()
            stack.wait_delivered(warm + args.burst, args.burst_timeout)
        times = stack.delivered_times()[warm:]
        result = {
            "consumers": n, "workers": n, "followups": args.burst, "scanners": args.scanners,
            "scan_seconds": round(scanned - started, 2),
            "seconds_to_last_delivery": round(times[-1] - started, 2),
            "deliveries_per_second": round(args.burst / (times[-1] - started), 1),
            "memory": memory.summary(),
            "processes_with_tracebacks": stack.tracebacks(),
        }
    return result


def role_memory(memory: dict[str, dict]) -> dict[str, dict]:
    """Per kind of process (relay, consumer, worker main, worker child): the largest figures."""
    roles: dict[str, dict] = {}
    for name, m in memory.items():
        base = name.split(".")[0].rstrip("0123456789")
        role = f"{base} child" if ".child" in name else base
        r = roles.setdefault(role, {"count": 0, "peak_mib": 0.0, "start_mib": 0.0, "end_mib": 0.0, "cpu_seconds": 0.0})
        r["count"] += 1
        r["cpu_seconds"] = round(r["cpu_seconds"] + m["cpu_seconds"], 2)
        r["peak_mib"] = max(r["peak_mib"], m["peak_mib"])
        r["start_mib"] = max(r["start_mib"], m["start_mib"])
        r["end_mib"] = max(r["end_mib"], m["end_mib"])
    return roles


def print_table(result: dict) -> None:
    rows = [(f"raw pika publish, confirm each ({when})", "-", raw["messages"], raw["seconds"],
             raw["messages_per_second"], "-", "100%" if raw is result["baseline"] else "-", "-")
            for when, raw in zip(("before", "after"), result["baselines"], strict=True)]
    for run in result["throughput"]:
        rows.append((f"pipeline: {run['consumers']} consumer(s), {run['workers']} worker(s)", run["worker_args"] or "-",
                     run["events"], run["seconds"], run["events_per_second"], run["sustained_events_per_second"],
                     f"{run['percent_of_raw']}%", run["load_average_before"][0]))
    print()
    print(table(rows, ("run", "worker args", "events", "seconds", "per second", "sustained (10-90%)",
                       "% of raw (target >= 30%)", "load before")))
    run = result.get("burst")
    if run:
        print()
        print(table([(f"{run['consumers']} consumer(s), {run['workers']} worker(s), {run['scanners']} scanner(s)",
                      run["followups"], run["scan_seconds"], run["seconds_to_last_delivery"],
                      run["deliveries_per_second"])],
                    ("burst: follow-ups due at once", "follow-ups", "scan s", "last delivery recorded s (target < 300)",
                     "deliveries/s")))
    lat = result.get("latency")
    if lat:
        print()
        print(table([(f"{lat['consumers']} consumer(s), {lat['workers']} worker(s)", lat["target_rate"],
                      lat["achieved_rate"], lat["events"], lat["received"], lat["p50_ms"], lat["p95_ms"],
                      lat["p99_ms"], lat["max_ms"])],
                    ("latency: commit -> webhook", "target/s", "achieved/s", "events", "received", "p50 ms", "p95 ms",
                     "p99 ms (target < 250)", "max ms")))
    rows = []
    for label, memory in [(f"{r['consumers']}c/{r['workers']}w", r["memory"]) for r in result["throughput"]] + \
            ([("latency", lat["memory"])] if lat else []) + ([("burst", run["memory"])] if run else []):
        for role, m in role_memory(memory).items():
            rows.append((label, f"{role} x{m['count']}", m["peak_mib"], m["start_mib"], m["end_mib"],
                         m["cpu_seconds"]))
    print()
    print(table(rows, ("run", "process (largest of its kind)", "peak RSS MiB", "RSS start", "RSS end",
                       "CPU s (all of them)")))
    print(f"\nload average (1, 5, 15 min): before {result['load_average_before']}, "
          f"after {result['load_average_after']}")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000, help="events per throughput run")
    parser.add_argument("--workers-list", default="1,2,4",
                        help="configurations: n consumers and n workers each (comma-separated)")
    parser.add_argument("--batch", type=int, default=100, help="follow-ups (events) per transaction")
    parser.add_argument("--latency-seconds", type=float, default=30)
    parser.add_argument("--latency-rate", type=float, help="events/s of the latency run (default: half the best)")
    parser.add_argument("--baseline-messages", type=int, default=5000)
    parser.add_argument("--agencies", type=int, default=8,
                        help="agencies, each with its own webhook subscription and receiver port")
    parser.add_argument("--worker-args", default="", help="extra arguments to `minilok worker notifications`")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for all deliveries of a run")
    parser.add_argument("--database-url", default=PG_ADMIN,
                        help="PostgreSQL server (an admin connection) where fresh databases are made and dropped")
    parser.add_argument("--rabbitmq-url", default="amqp://guest:guest@127.0.0.1:5672",
                        help="RabbitMQ without a vhost: a fresh vhost is made per run")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--live-writes", dest="prewrite", action="store_false",
                        help="write the events while the pipeline runs (the generator's write speed then caps "
                             "the figure); by default they are written first and the relay started after")
    parser.add_argument("--burst", type=int, default=0,
                        help="follow-ups due at once, timed until their last overdue webhook is recorded (0: skip)")
    parser.add_argument("--scanners", type=int, default=2, help="reminder-scan processes of the burst")
    parser.add_argument("--burst-timeout", type=float, default=1800)
    parser.add_argument("--only-burst", action="store_true", help="skip the throughput and latency runs")
    parser.add_argument("--only-latency", action="store_true",
                        help="skip the throughput runs: one latency run at --latency-rate with the last of "
                             "--workers-list (for short alternating before/after runs)")
    parser.add_argument("--keep-logs", action="store_true", help="keep every process's log (printed where)")
    parser.add_argument("--profile", metavar="DIR",
                        help="record every process with py-spy during the runs (collapsed stacks in DIR; "
                             "`pip install py-spy` first)")
    args = parser.parse_args()
    configs = [int(x) for x in args.workers_list.split(",") if x.strip()]
    if args.only_latency and not args.latency_rate:
        parser.error("--only-latency needs --latency-rate")

    signal.signal(signal.SIGTERM, _sigterm)
    cleanup = Cleanup()
    receiver = None
    result: dict = {"load_average_before": load_average(), "worker_args": args.worker_args,
                    "agencies": args.agencies, "batch": args.batch}
    try:
        receiver = Receiver(args.agencies)
        cleanup.add("receiver", receiver.stop)
        # The baseline before and after the pipeline runs: the machine may be busier at one time than
        # at the other. The percentages use the higher of the two (never flattering the pipeline).
        print("baseline: raw pika publishes with confirms ...", flush=True)
        baselines = [baseline(args, cleanup, sample_body_size())]
        runs = []
        for n in ([] if args.only_burst or args.only_latency else configs):
            print(f"throughput: {n} consumer(s), {n} worker(s), {args.events} events ...", flush=True)
            load = load_average()
            run = throughput(args, cleanup, receiver, n)
            run["load_average_before"] = load
            print(f"  {run['events_per_second']} events/s over {run['seconds']} s "
                  f"(writes took {run['write_seconds']} s)", flush=True)
            runs.append(run)
        if args.burst:
            n = configs[-1]
            print(f"burst: {args.burst} follow-ups due at once, {n} consumer(s), {n} worker(s) ...", flush=True)
            load = load_average()
            result["burst"] = burst(args, cleanup, receiver, n)
            result["burst"]["load_average_before"] = load
            print(f"  last delivery recorded after {result['burst']['seconds_to_last_delivery']} s", flush=True)
        baselines.append(baseline(args, cleanup, runs[0]["body_bytes"] if runs else sample_body_size()))
        result["baselines"] = baselines
        result["baseline"] = max(baselines, key=lambda b: b["messages_per_second"])
        raw = result["baseline"]["messages_per_second"]
        for run in runs:
            run["percent_of_raw"] = round(100 * run["events_per_second"] / raw, 1)
        result["throughput"] = runs
        best = max(runs, key=lambda r: r["events_per_second"]) if runs else None
        if best:
            result["best"] = {"consumers": best["consumers"], "workers": best["workers"],
                              "events_per_second": best["events_per_second"],
                              "percent_of_raw": best["percent_of_raw"]}
        if (best or args.only_latency) and not args.no_latency:
            rate = args.latency_rate or best["events_per_second"] / 2
            n = best["consumers"] if best else configs[-1]
            print(f"latency: {n} consumer(s), {n} worker(s), {rate:.0f} events/s "
                  f"for {args.latency_seconds:.0f} s ...", flush=True)
            load = load_average()
            result["latency"] = latency(args, cleanup, receiver, n, rate)
            result["latency"]["load_average_before"] = load
        result["load_average_after"] = load_average()
        print_table(result)
        out = write_result("pipeline", result)
        print(f"written: {out.relative_to(ROOT)}")
        return 0
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        return 130
    finally:
        cleanup.run()


if __name__ == "__main__":
    sys.exit(main())
