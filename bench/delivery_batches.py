"""Delivery engine (issue 19 item 2): worker CPU per delivery, one at a time against batches.

    python bench/delivery_batches.py [--deliveries 1500] [--batch 50] [--database-url URL]

In one run, on a fresh PostgreSQL database (or the one given) and against a local HTTP/1.1
keep-alive receiver in its own process: --deliveries pending webhook deliveries sent with
`attempt(id)` one by one (a claim, a load, a send and a record per delivery: the shape of the old
`deliver` task), then as many sent with `attempt_batch` (a claim of --batch in one statement,
concurrent sends, one record statement). CPU is this process's (all its threads); Celery's
per-task overhead is not in either figure. Prints both, with the load average.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchlib import database


def _serve(port_out) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    ports = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{ports.get(timeout=10)}/hook"
    with database(args.database_url, "minilok_bench_deliveries") as db_url:
        os.environ.update({"NOTIFICATIONS_DATABASE_URL": db_url, "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "1",
                           "NOTIFICATIONS_DELIVERY_BATCH_SIZE": str(args.batch), "MINILOK_DEV": "1",
                           "REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:"})
        from minilok_notifications import models
        from minilok_notifications.channels import webhook_secrets
        from minilok_notifications.config import get_settings
        from minilok_notifications.service_layer.attempts import attempt, attempt_batch
        from minilok_notifications.service_layer.fan_out import record_event
        from minilok_notifications.spec import spec
        from minilok_shared.db import make_engine, make_sessionmaker, upgrade

        settings = get_settings()
        upgrade(spec.migrations, db_url, "notifications")
        factory = make_sessionmaker(make_engine(db_url))
        with factory.begin() as session:
            session.add(models.Subscription(
                agency_id=10, scope="agency", event_types=["followup.*"], channel="webhook", target=url,
                secret_encrypted=webhook_secrets.encrypt(settings.minilok_secret, webhook_secrets.new_webhook_secret()),
                created_by="bench", created_by_role="admin"))

        def pending(count: int) -> list[int]:
            ids = []
            with factory.begin() as session:
                for _ in range(count):
                    ids += record_event(session, {
                        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/meetings",
                        "type": "followup.created", "subject": "7", "time": "2026-02-10T03:00:00Z",
                        "datacontenttype": "application/json", "ownerid": "10", "puskesmasid": "1",
                        "data": {"followup": {"id": 7, "owner_agency_id": 10, "supporting_agency_ids": [],
                                              "puskesmas_id": 1, "title": "PSN", "status": "open"}}})
            return ids

        def measure(send) -> dict:
            started, cpu = time.monotonic(), time.process_time()
            sent = send()
            wall, cpu = time.monotonic() - started, time.process_time() - cpu
            return {"deliveries": sent, "seconds": round(wall, 2), "per_second": round(sent / wall, 1),
                    "cpu_ms_per_delivery": round(cpu * 1000 / sent, 2)}

        def one_by_one() -> int:
            return sum(attempt(factory, settings, i)[0] == "delivered" for i in pending(args.deliveries))

        def batches() -> int:
            pending(args.deliveries)
            sent = 0
            while outcomes := attempt_batch(factory, settings):
                sent += sum(status == "delivered" for status, _ in outcomes.values())
            return sent

        load_before = os.getloadavg()
        single = measure(one_by_one)
        batched = measure(batches)
        load_after = os.getloadavg()
    receiver.terminate()
    print(f"one by one:        {single}")
    print(f"batches of {args.batch:<4}:   {batched}")
    print(f"CPU per delivery: {batched['cpu_ms_per_delivery'] / single['cpu_ms_per_delivery']:.0%} of one by one")
    print(f"load average before {load_before}, after {load_after}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
