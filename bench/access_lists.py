"""Who-sees-what lists at national scale: 10,200 puskesmas (34 provinsi × 15 kota × 20 kecamatan),
20 agencies each, N follow-ups (default 2,000,000) with one supporter each and 5 % escalated to
the owner's kecamatan. How long does a page of `GET /follow-ups` take for a dinas kota (20
puskesmas), a dinas provinsi (300), an agency (owned + supported + escalated-to), and the dinas
overview (one grouped statement)? And the agency list the way it was before (an OR of an IN),
for comparison.

    python bench/access_lists.py [--followups 2000000] [--runs 30] [--database-url postgresql+psycopg://...]
                                 [--seeded: the database given holds this bench's data already]

Runs the service functions themselves (`followup_reads.find_followups`,
`dashboard_reads.area_overview`) on one session, in process; PostgreSQL only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, or_, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import database, latency_summary, machine, table, write_result  # noqa: E402

PROVINCES, KOTA, KECAMATAN, AGENCIES = 34, 15, 20, 20


def seed(url: str, followups: int) -> None:
    """Everything in a few INSERT ... SELECT over generate_series (the data, not the API, is under test)."""
    statements = [
        f"""INSERT INTO puskesmas (id, code, name, timezone, area_code, kota, provinsi, extra_holidays, created_at)
            SELECT n, 'P' || n, 'Puskesmas ' || n, 'Asia/Jakarta',
                   lpad((1 + (n - 1) / ({KOTA} * {KECAMATAN}))::text, 2, '0') || '.' ||
                   lpad((1 + ((n - 1) / {KECAMATAN}) % {KOTA})::text, 2, '0') || '.' ||
                   lpad((1 + (n - 1) % {KECAMATAN})::text, 2, '0'),
                   'Kota', 'Provinsi', '[]', now()
            FROM generate_series(1, {PROVINCES * KOTA * KECAMATAN}) n""",
        # Agency (p - 1) * AGENCIES + 1 is the puskesmas's kecamatan, parent of the others.
        f"""INSERT INTO agencies (id, name, kind, parent_id, puskesmas_id, created_at)
            SELECT a, 'Lembaga ' || a, CASE WHEN (a - 1) % {AGENCIES} = 0 THEN 'kecamatan' ELSE 'kelurahan' END,
                   CASE WHEN (a - 1) % {AGENCIES} = 0 THEN NULL ELSE a - (a - 1) % {AGENCIES} END,
                   1 + (a - 1) / {AGENCIES}, now()
            FROM generate_series(1, {PROVINCES * KOTA * KECAMATAN * AGENCIES}) a""",
        """INSERT INTO meetings (id, puskesmas_id, kind, title, scheduled_at, status, decisions, created_at)
            SELECT id, id, 'quarterly_cross_sector', 'Lokmin', now(), 'published', '[]', now() FROM puskesmas""",
        f"""INSERT INTO followups (id, meeting_id, puskesmas_id, title, owner_agency_id, due_at, priority, status,
                                   escalation_level, percent, created_at, updated_at, reminder_stage)
            SELECT f, p, p, 'RTL ' || f, (p - 1) * {AGENCIES} + 2 + f % ({AGENCIES} - 1),
                   now() + ((f % 120) - 60) * interval '1 day', 'normal',
                   (ARRAY['open', 'open', 'in_progress', 'done', 'cancelled'])[1 + f % 5],
                   CASE WHEN f % 20 = 0 THEN 2 ELSE 0 END, 0, now(), now(), 0
            FROM (SELECT f, 1 + (hashint4(f)::bigint & 2147483647) % {PROVINCES * KOTA * KECAMATAN} AS p
                  FROM generate_series(1, {followups}) f) s""",
        # Another kelurahan of the same puskesmas than the owner (index 2 + (id + 1 + id % 7) % 19).
        f"""INSERT INTO followup_supporters (followup_id, agency_id)
            SELECT id, (puskesmas_id - 1) * {AGENCIES} + 2 + (id + 1 + id % 7) % ({AGENCIES} - 1) FROM followups""",
        f"""INSERT INTO followup_escalations (followup_id, agency_id, level, at)
            SELECT id, (puskesmas_id - 1) * {AGENCIES} + 1, 2, now() FROM followups WHERE id % 20 = 0""",
        "ANALYZE",
    ]
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            started = time.perf_counter()
            conn.execute(text(statement))
            print(f"  {' '.join(statement.split()[:3]):<34} {time.perf_counter() - started:6.1f} s", flush=True)
    engine.dispose()


def timed(run, runs: int) -> dict:
    run()  # warm the cache and the statement
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return latency_summary(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followups", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--seeded", action="store_true")
    args = parser.parse_args()

    from minilok_meetings import models
    from minilok_meetings.service_layer import dashboard_reads, followup_reads
    from minilok_shared.auth import Principal
    from minilok_shared.db import upgrade, utcnow

    with database(args.database_url, "minilok_bench_access") as url:
        if not args.seeded:
            upgrade(str(Path(followup_reads.__file__).resolve().parents[1] / "migrations"), url, "meetings")
            print(f"seeding {args.followups:,} follow-ups", flush=True)
            seed(url, args.followups)
        engine = create_engine(url)
        kecamatan_dinas = Principal(role="dinas", subject="bench", area_code="11.07.03")
        kota = Principal(role="dinas", subject="bench", area_code="11.07")
        kota_agency = Principal(role="dinas", subject="bench", area_code="11.07", agency_id="1")
        provinsi = Principal(role="dinas", subject="bench", area_code="11")
        # An agency of puskesmas 2150 (kelurahan 5): owns, supports, and its kecamatan was escalated to.
        agency = Principal(role="agency", subject="bench", agency_id=str(2149 * AGENCIES + 6))
        kecamatan = Principal(role="agency", subject="bench", agency_id=str(2149 * AGENCIES + 1))
        F = models.FollowUp
        with Session(engine) as session:
            cases = {
                "dinas kecamatan (1 puskesmas), page of 50":
                    lambda: followup_reads.find_followups(session, kecamatan_dinas),
                "dinas kota (20 puskesmas), page of 50": lambda: followup_reads.find_followups(session, kota),
                "dinas kota with its agency, page of 50":
                    lambda: followup_reads.find_followups(session, kota_agency),
                "dinas kota, status=open": lambda: followup_reads.find_followups(session, kota, status_="open"),
                "dinas kota, overdue=true": lambda: followup_reads.find_followups(session, kota, overdue=True),
                "dinas provinsi (300 puskesmas), page of 50":
                    lambda: followup_reads.find_followups(session, provinsi),
                "dinas provinsi, status=open": lambda: followup_reads.find_followups(session, provinsi, status_="open"),
                "dinas provinsi, overdue=true": lambda: followup_reads.find_followups(session, provinsi, overdue=True),
                "dinas kota, ?puskesmas_id= one of them":
                    lambda: followup_reads.find_followups(session, kota, puskesmas_id=10 * 300 + 6 * 20 + 3),
                "agency (owned, supported, escalated-to)": lambda: followup_reads.find_followups(session, agency),
                "kecamatan (escalated-to only)": lambda: followup_reads.find_followups(session, kecamatan),
                "agency, before: owner OR id IN supported": lambda: session.execute(
                    select(F.id).where(or_(F.owner_agency_id == int(agency.agency_id), F.id.in_(
                        select(models.FollowUpSupporter.followup_id).where(
                            models.FollowUpSupporter.agency_id == int(agency.agency_id)))))
                    .order_by(F.id.desc()).limit(51)).all(),
                "dinas kota overview (grouped)": lambda: dashboard_reads.area_overview(session, kota, utcnow()),
                "dinas provinsi overview (grouped)":
                    lambda: dashboard_reads.area_overview(session, provinsi, utcnow()),
            }
            results = {name: timed(run, args.runs) for name, run in cases.items()}
            counts = {"agency rows": len(followup_reads.find_followups(session, agency, limit=200).items),
                      "kota page": len(followup_reads.find_followups(session, kota).items),
                      "kota overview rows": len(dashboard_reads.area_overview(session, kota, utcnow()))}
        engine.dispose()
    print(table([(name, f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}") for name, r in results.items()],
                ("case", "p50 ms", "p95 ms")))
    print(counts)
    write_result("access_lists", {"followups": args.followups, "puskesmas": PROVINCES * KOTA * KECAMATAN,
                                  "runs": args.runs, "results": results, "counts": counts, "machine": machine()})


if __name__ == "__main__":
    main()
