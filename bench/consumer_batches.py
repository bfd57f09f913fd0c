"""The event consumer alone (issue 19): events/s and CPU per event of `EventConsumer` with a
one-row handler, per batch size, beside raw pika confirm-publish in the same run.

    python bench/consumer_batches.py [--events 3000] [--batches 1,100] [--old-shared DIR]

Each configuration gets a fresh RabbitMQ vhost and PostgreSQL database; the events are queued
first, then a consumer process starts and is timed from `ready` until its after-commit actions
have seen every event; CPU is that process's user+system time over the same span.
`--old-shared DIR` (a checkout's `shared/`, e.g. from `git archive <commit> shared`) adds a run
of that version's consumer, whose per-message path knows no batch size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pika
from benchlib import PG_ADMIN, drop_database, fresh_database

KIND = "followup.created"

CHILD = """
import json, os, resource, sys, threading, time
from minilok_shared.db import make_engine, new_metadata
from minilok_shared.events.consumer import EventConsumer, Handlers, inbox_table
from sqlalchemy import Column, Integer, String, Table, insert
db_url, amqp_url, events, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
metadata = new_metadata()
inbox = inbox_table(metadata)
handled = Table("handled", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36)))
engine = make_engine(db_url)
metadata.create_all(engine)
done, seen = threading.Event(), [0]
def count():
    seen[0] += 1
    if seen[0] >= events:
        done.set()
handlers = Handlers()
@handlers.on("followup.created")
def record(ctx):
    ctx.session.execute(insert(handled).values(event_id=ctx.event["id"]))
    ctx.after_commit(count)
kwargs = {} if batch == "old" else {"batch_size": int(batch)}
consumer = EventConsumer("bench", engine, inbox, handlers, amqp_url, **kwargs)
thread = threading.Thread(target=consumer.run_forever, daemon=True)
thread.start()
consumer.ready.wait(30)
usage, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
done.wait(600)
elapsed, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
consumer.stop(); thread.join(10)
cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu}))
"""


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def with_vhost(base: str, fn):
    vhost = f"minilok-bench-consumer-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        return fn(f"{base.rstrip('/')}/{quote(vhost, safe='')}")
    finally:
        rabbitmqctl("delete_vhost", vhost)


def raw_baseline(url: str, messages: int, body: bytes) -> float:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare("bench.baseline", durable=True)
    channel.confirm_delivery()
    props = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
    started = time.perf_counter()
    for _ in range(messages):
        channel.basic_publish("", "bench.baseline", body, props)
    rate = messages / (time.perf_counter() - started)
    connection.close()
    return rate


def consumer_run(url: str, args, batch: str, pythonpath: str | None) -> dict:
    from minilok_shared.events.consumer import declare_queues
    from minilok_shared.events.envelope import dumps, new_event

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    declare_queues(channel, "bench", [KIND], 5000)
    props = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
    for i in range(args.events):
        channel.basic_publish("minilok.events", KIND, dumps(new_event(KIND, "/meetings", str(i), {"n": i})), props)
    connection.close()
    db_url = fresh_database(None, "minilok_bench_consumer", args.database_url)
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else dict(os.environ)
    env.setdefault("MINILOK_LOG_LEVEL", "WARNING")
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, db_url, url, str(args.events), batch], env=env,
                             capture_output=True, text=True, timeout=900, check=True).stdout
    finally:
        drop_database(db_url, args.database_url)
    result = json.loads(out.strip().splitlines()[-1])
    return {"batch": batch, "events_per_second": round(args.events / result["seconds"], 1),
            "cpu_ms_per_event": round(1000 * result["cpu_seconds"] / args.events, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--batches", default="1,100", help="batch sizes to run, comma-separated")
    parser.add_argument("--old-shared", help="a `shared/` directory of an older version to run beside")
    parser.add_argument("--database-url", default=PG_ADMIN, help="PostgreSQL server (admin URL)")
    parser.add_argument("--rabbitmq-url", default="amqp://guest:guest@127.0.0.1:5672")
    args = parser.parse_args()
    from minilok_shared.events.envelope import dumps, new_event

    body = b"x" * len(dumps(new_event(KIND, "/meetings", "0", {"n": 0})))  # the events' own size
    load_before = os.getloadavg()
    baseline = with_vhost(args.rabbitmq_url, lambda url: raw_baseline(url, 3000, body))
    runs = []
    if args.old_shared:
        runs.append(with_vhost(args.rabbitmq_url, lambda url: consumer_run(url, args, "old", args.old_shared)))
    for batch in args.batches.split(","):
        runs.append(with_vhost(args.rabbitmq_url, lambda url, b=batch: consumer_run(url, args, b, None)))
    report = {"raw_confirm_publish_per_second": round(baseline, 1), "events": args.events, "runs": runs,
              "load_average_before": load_before, "load_average_after": os.getloadavg()}
    for run in runs:
        run["share_of_raw"] = round(run["events_per_second"] / baseline, 3)
    print(json.dumps(report, indent=2))
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"consumer-batches-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
