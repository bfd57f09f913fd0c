"""Reminder burst: N follow-ups fall due in the same minute. How long until every overdue
event is in the outbox (the scan), and until RabbitMQ has confirmed them all (the relay)?

    python bench/reminder_burst.py --followups 100000 [--scanners 2] [--database-url postgresql+psycopg://...]

Baseline in the same run: a bare INSERT of the same number of outbox-sized rows.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import database, insert_due_followups, write_result  # noqa: E402


def seed(url: str, count: int, due: datetime) -> None:
    from minilok_meetings import models

    engine = create_engine(url)
    with engine.begin() as conn:
        pid = conn.execute(insert(models.Puskesmas.__table__).values(
            code="BENCH", name="Puskesmas Bench", timezone="Asia/Jakarta", area_code="00", kota="K",
            provinsi="P", extra_holidays=[], created_at=due).returning(models.Puskesmas.id)).scalar_one()
        kec = conn.execute(insert(models.Agency.__table__).values(
            name="Kecamatan", kind="kecamatan", puskesmas_id=pid, created_at=due).returning(models.Agency.id)).scalar_one()
        agencies = [conn.execute(insert(models.Agency.__table__).values(
            name=f"Kelurahan {i}", kind="kelurahan", parent_id=kec, puskesmas_id=pid,
            created_at=due).returning(models.Agency.id)).scalar_one() for i in range(20)]
        mid = conn.execute(insert(models.Meeting.__table__).values(
            puskesmas_id=pid, kind="quarterly_cross_sector", title="Bench", scheduled_at=due, status="published",
            decisions=[], created_at=due).returning(models.Meeting.id)).scalar_one()
        insert_due_followups(conn, meeting_id=mid, puskesmas_id=pid, agency_ids=agencies, count=count, due=due)
    engine.dispose()


def scanner(url: str, now: datetime, out) -> None:
    os.environ["MEETINGS_DATABASE_URL"] = url
    from minilok_meetings.service_layer import reminders
    from minilok_shared.db import make_engine, make_sessionmaker

    out.put(reminders.scan(make_sessionmaker(make_engine(url)), now=now, max_seconds=600))


def count_outbox(url: str, kind: str) -> int:
    from minilok_meetings import models

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).where(models.outbox.c.type == kind))
    engine.dispose()
    return n


def relay_all(url: str, expected: int) -> float:
    """Publish the whole outbox through the real relay into a throwaway vhost; seconds taken."""
    import subprocess
    import threading

    from minilok_meetings import models
    from minilok_shared.db import make_engine
    from minilok_shared.events.outbox import OutboxRelay

    vhost = f"minilok-bench-{uuid.uuid4().hex[:6]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True)
    try:
        engine = make_engine(url)
        relay = OutboxRelay(engine, models.outbox, f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "meetings",
                            batch_size=500, poll_seconds=0.05)
        started = time.perf_counter()
        thread = threading.Thread(target=relay.run_forever, daemon=True)
        thread.start()
        while True:
            with engine.connect() as conn:
                pending = conn.scalar(select(func.count()).where(models.outbox.c.published_at.is_(None)))
            if pending == 0:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        relay.stop()
        thread.join(10)
        engine.dispose()
        return elapsed
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=True)


def baseline_insert(url: str, count: int) -> float:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE baseline (event_id text, type text, subject text, body text, "
                          "created_at timestamptz)"))
        body = "x" * 600
        rows = [{"e": uuid.uuid4().hex, "b": body} for _ in range(count)]
        started = time.perf_counter()
        conn.execute(text("INSERT INTO baseline VALUES (:e, 'followup.overdue', '1', :b, now())"), rows)
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followups", type=int, default=100_000)
    parser.add_argument("--scanners", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with database(args.database_url) as url:
        from minilok_shared.db import upgrade
        from minilok_meetings.spec import spec

        upgrade(spec.migrations, url, "meetings")
        due = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=1)
        t0 = time.perf_counter()
        seed(url, args.followups, due)
        seeded = time.perf_counter() - t0

        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        started = time.perf_counter()
        procs = [ctx.Process(target=scanner, args=(url, due + timedelta(seconds=30), out))
                 for _ in range(args.scanners)]
        for p in procs:
            p.start()
        totals = [out.get() for _ in procs]
        for p in procs:
            p.join()
        scan_seconds = time.perf_counter() - started
        overdue = count_outbox(url, "followup.overdue")
        relay_seconds = relay_all(url, overdue)
        baseline = baseline_insert(url, args.followups)
        result = {
            "followups": args.followups,
            "scanners": args.scanners,
            "seed_seconds": round(seeded, 2),
            "scan_seconds": round(scan_seconds, 2),
            "overdue_events": overdue,
            "events_per_second": round(overdue / scan_seconds, 1),
            "relay_seconds": round(relay_seconds, 2),
            "relay_events_per_second": round(overdue / relay_seconds, 1),
            "baseline_bare_insert_seconds": round(baseline, 2),
            "per_scanner": totals,
        }
        print(f"{'follow-ups due at once':32} {args.followups:>10}")
        print(f"{'scanner processes':32} {args.scanners:>10}")
        print(f"{'overdue events emitted':32} {overdue:>10}")
        print(f"{'scan time (s)':32} {scan_seconds:>10.2f}   (target < 60)")
        print(f"{'events per second':32} {overdue / scan_seconds:>10.0f}")
        print(f"{'relay: all confirmed by RabbitMQ (s)':32} {relay_seconds:>10.2f}")
        print(f"{'relay events per second':32} {overdue / relay_seconds:>10.0f}")
        print(f"{'baseline: bare INSERT (s)':32} {baseline:>10.2f}")
        print(f"written: {write_result('reminder_burst', result)}")
        assert overdue == args.followups, f"expected {args.followups} overdue events, got {overdue}"
        return 0


if __name__ == "__main__":
    sys.exit(main())
