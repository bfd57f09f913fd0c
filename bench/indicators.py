"""Indicator ingest and rollups at national scale (PostgreSQL).

    python bench/indicators.py [--import-values 1000000] [--rollup-values 10000000] [--database-url ...]

1. A national-sized area hierarchy (38 provinsi, 532 kota, 6,916 kecamatan, 82,992 kelurahan).
2. Ingest: `minilok indicators import FILE.csv` (the real CLI: validation, upsert, incremental
   rollups, below-target events into the outbox) on a year of monthly POSYANDU_DS values per
   kelurahan. Baseline in the same run: PostgreSQL `COPY` of the same CSV into a table shaped like
   indicator_values (no validation, no rollups, no events), and the floor: the rows the import
   wrote (values, rollups, target status, outbox events) copied by one `INSERT ... SELECT` per
   table into empty tables of the same shape, the least their writing can cost.
3. Rollups: ~10,000,000 more values loaded with COPY straight into indicator_values (ten monthly
   indicators, a year, every kelurahan), their rollups rebuilt (`rebuild`, timed), then
   `GET /rollup` and `GET /ranking` on the real API at kota, provinsi and national level.
   Baseline in the same run: the same rollup computed from the values on every read
   (`totals_from_values`, the query the service ran before rollups were kept on ingest).
4. Cumulative (PWS): SPM_BUMIL (target_basis cumulative, a yearly sasaran) over the same set:
   `GET /rollup` and `GET /ranking` of a month read January..month (up to 12 rollup rows per
   area, one range query) and the previous month; national p50 must stay under 50 ms.
   `--skip-import` leaves out step 2 when only the reads are wanted; `--import-only` stops
   after it, and `--provinces N` shrinks the hierarchy (and the import) for a quicker run.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import RssSampler, Timer, database, latency_summary, table, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IMPORT_INDICATOR = "POSYANDU_DS"
ROLLUP_INDICATORS = ("POSYANDU_ND", "DBD_ABJ", "DBD_CFR", "DBD_CASES", "DBD_IR", "SPM_BALITA", "SPM_BUMIL", "IDL",
                     "TB_CNR", "SPM_HIPERTENSI")
YEAR = 2026


def hierarchy(provinces: int = 38, kota: int = 14, kecamatan: int = 13, kelurahan: int = 12) -> list[dict]:
    areas = []
    for p in range(11, 11 + provinces):
        areas.append({"code": f"{p}", "name": f"Provinsi {p}", "level": "provinsi", "parent_code": None})
        for k in range(1, kota + 1):
            kc = f"{p}.{k:02d}"
            areas.append({"code": kc, "name": f"Kota {kc}", "level": "kota", "parent_code": f"{p}"})
            for c in range(1, kecamatan + 1):
                cc = f"{kc}.{c:02d}"
                areas.append({"code": cc, "name": f"Kecamatan {cc}", "level": "kecamatan", "parent_code": kc})
                for v in range(1, kelurahan + 1):
                    areas.append({"code": f"{cc}.{1000 + v}", "name": f"Kelurahan {cc}.{v}", "level": "kelurahan",
                                  "parent_code": cc})
    return areas


def env_for(url: str) -> dict:
    return {**os.environ, "INDICATORS_DATABASE_URL": url, "LOG_LEVEL": "WARNING"}


def setup(url: str, provinces: int = 38) -> list[str]:
    """Migrate, load the catalogue and the areas; returns the kelurahan codes."""
    from minilok_indicators.service_layer.areas import add_areas
    from minilok_indicators.service_layer.catalogue import read_catalogue, upsert_indicators
    from minilok_indicators.spec import spec
    from minilok_shared.db import make_engine, make_sessionmaker, upgrade

    upgrade(spec.migrations, url, "indicators")
    engine = make_engine(url)
    areas = hierarchy(provinces)
    with make_sessionmaker(engine)() as session:
        upsert_indicators(session, read_catalogue())
        _rows, errors = add_areas(session, areas)
        assert not errors, errors[:3]
        session.commit()
    engine.dispose()
    return [a["code"] for a in areas if a["level"] == "kelurahan"]


def write_import_csv(path: Path, kelurahan: list[str], count: int, rng: random.Random) -> int:
    """A year of D/S per kelurahan (area by area, month by month), `count` rows at most."""
    written = 0
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["indicator_code", "area_code", "period", "numerator", "denominator", "value"])
        for code in kelurahan:
            for month in range(1, 13):
                if written == count:
                    return written
                s = rng.randint(40, 400)
                out.writerow([IMPORT_INDICATOR, code, f"{YEAR}-{month:02d}", rng.randint(s // 2, s), s, ""])
                written += 1
    return written


def run_import(url: str, path: Path) -> dict:
    """The real CLI, as a user runs it; wall time, peak RSS and the CLI's own CPU (user + system,
    from the child's resource usage: steadier than wall time on a shared machine)."""
    command = [str(BIN / "minilok"), "indicators", "import", str(path)]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Timer() as timer:
        process = subprocess.Popen(command, env=env_for(url), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True)
        with RssSampler({"import": process.pid}) as rss:
            out, _ = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert process.returncode == 0, f"import failed ({process.returncode}): {out[-2000:]}"
    summary = __import__("json").loads(out.strip().splitlines()[-1])
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return {**summary, "seconds": round(timer.seconds, 1), "cpu_seconds": round(cpu, 2),
            "rss": rss.summary_mib()["import"]}


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def copy_baseline(url: str, path: Path) -> float:
    """COPY of the same CSV into a table shaped like indicator_values (primary key included)."""
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("CREATE TABLE copy_baseline (LIKE indicator_values INCLUDING ALL)")
        conn.execute("ALTER TABLE copy_baseline ALTER COLUMN updated_at SET DEFAULT now()")
        conn.commit()
        with Timer() as timer:
            with conn.cursor().copy("COPY copy_baseline (indicator_code, area_code, period, numerator, denominator, "
                                    "value) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                with open(path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)
            conn.commit()
        count = conn.execute("SELECT count(*) FROM copy_baseline").fetchone()[0]
        conn.execute("DROP TABLE copy_baseline")
        conn.commit()
    assert count > 0
    return timer.seconds


def copy_bulk_values(url: str, kelurahan: list[str], target: int, rng: random.Random) -> int:
    """Straight into indicator_values with COPY: ten monthly indicators, a year, every kelurahan."""
    import psycopg

    written = 0
    with psycopg.connect(psycopg_url(url)) as conn:
        with conn.cursor().copy("COPY indicator_values (indicator_code, period, area_code, numerator, denominator, "
                                "value, updated_at) FROM STDIN") as copy:
            for indicator in ROLLUP_INDICATORS:
                for month in range(1, 13):
                    period = f"{YEAR}-{month:02d}"
                    for code in kelurahan:
                        if written == target:
                            break
                        den = rng.randint(40, 4000)
                        copy.write_row((indicator, period, code, rng.randint(0, den), den, None, "2026-11-23T00:00Z"))
                        written += 1
        conn.commit()
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE indicator_values")
    return written


def rebuild_rollups(url: str) -> tuple[float, int]:
    from minilok_indicators.service_layer.aggregates import rebuild
    from minilok_shared.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    with make_sessionmaker(engine)() as session, Timer() as timer:
        rows = rebuild(session, ROLLUP_INDICATORS)
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE area_rollups"))
    engine.dispose()
    return timer.seconds, rows


def start_api(url: str, port: int) -> subprocess.Popen:
    env = {**env_for(url), "INDICATORS_PORT": str(port), "RATE_LIMIT_PER_MINUTE": "0"}
    process = subprocess.Popen([str(BIN / "minilok"), "serve", "indicators"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the indicators API did not start")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token() -> str:
    done = subprocess.run([str(BIN / "minilok"), "token", "create", "--role", "admin"], env=os.environ,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def time_requests(client: httpx.Client, path: str, params_list: list[dict]) -> list[float]:
    seconds = []
    for params in params_list:
        started = time.perf_counter()
        response = client.get(path, params=params)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return seconds


def time_from_values(url: str, cases: list[tuple[str, str, str]]) -> list[float]:
    """The baseline: each rollup computed from the values, as the service did before."""
    from minilok_indicators.domain.periods import parse_period
    from minilok_indicators.models import Area, Indicator
    from minilok_indicators.service_layer.rollups import national_area, totals_from_values
    from minilok_shared.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    seconds = []
    with make_sessionmaker(engine)() as session:
        for indicator_code, area_code, period in cases:
            indicator = session.get(Indicator, indicator_code)
            area = national_area() if area_code == "ID" else session.get(Area, area_code)
            started = time.perf_counter()
            totals = totals_from_values(session, indicator, area, parse_period(period))
            seconds.append(time.perf_counter() - started)
            assert totals.reports > 0
    engine.dispose()
    return seconds


WRITTEN_TABLES = ("indicator_values", "area_rollups", "target_status", "outbox")


def write_floor(url: str) -> tuple[float, dict[str, int]]:
    """What writing the import's rows costs at the least: each table's rows copied by one
    `INSERT ... SELECT` into an empty table of the same shape (keys and indexes included), with no
    validation, no lookups and nothing computed; committed, as the COPY baseline is, then dropped.
    The import cannot beat this."""
    import psycopg

    counts: dict[str, int] = {}
    with psycopg.connect(psycopg_url(url)) as conn:
        for name in WRITTEN_TABLES:
            conn.execute(f"CREATE TEMP TABLE floor_{name} AS SELECT * FROM {name}")
            conn.execute(f"CREATE TABLE floor_copy_{name} (LIKE {name} INCLUDING ALL)")
        conn.commit()
        with Timer() as timer:
            for name in WRITTEN_TABLES:
                counts[name] = conn.execute(f"INSERT INTO floor_copy_{name} SELECT * FROM floor_{name}").rowcount
            conn.commit()
        for name in WRITTEN_TABLES:
            conn.execute(f"DROP TABLE floor_copy_{name}")
        conn.commit()
    return timer.seconds, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--import-values", type=int, default=995_904, help="rows through the import CLI")
    parser.add_argument("--rollup-values", type=int, default=9_959_040, help="rows loaded with COPY")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per level and kind")
    parser.add_argument("--baseline-requests", type=int, default=5, help="timed from-values reads per level")
    parser.add_argument("--database-url")
    parser.add_argument("--skip-import", action="store_true", help="leave out the import CLI step")
    parser.add_argument("--import-only", action="store_true", help="stop after the import CLI step")
    parser.add_argument("--provinces", type=int, default=38, help="provinsi in the hierarchy (14 kota each)")
    args = parser.parse_args()
    os.environ.setdefault("MINILOK_SECRET", "minilok-bench-secret-0123456789abcdef0123456789")
    rng = random.Random(2026)
    result: dict = {}
    rows = []
    with database(args.database_url, "minilok_bench_ind") as url:
        with Timer() as t:
            kelurahan = setup(url, args.provinces)
        result["areas"] = {"kelurahan": len(kelurahan), "seconds": round(t.seconds, 1)}
        print(f"areas loaded: {len(kelurahan)} kelurahan ({t.seconds:.1f} s)", flush=True)

        # --- ingest through the import path vs COPY ---
        csv_path = ROOT / "var" / "bench-import.csv"
        csv_path.parent.mkdir(exist_ok=True)
        count = write_import_csv(csv_path, kelurahan, args.import_values, rng) if not args.skip_import else 0
        if count:
            try:
                imported = run_import(url, csv_path)
                copy_seconds = copy_baseline(url, csv_path)
                floor_seconds, floor_rows = write_floor(url)
            finally:
                csv_path.unlink(missing_ok=True)
        else:
            imported, copy_seconds = {"seconds": 1.0, "cpu_seconds": 0.0, "events": 0, "rss": {"peak_mib": 0}}, 1.0
            floor_seconds, floor_rows = 1.0, {}
        result["ingest"] = {"rows": count, "import": imported, "copy_seconds": round(copy_seconds, 2),
                            "import_rows_per_second": round(count / imported["seconds"]),
                            "copy_rows_per_second": round(count / copy_seconds),
                            "import_vs_copy": round(imported["seconds"] / copy_seconds, 1),
                            "import_cpu_us_per_row": round(1e6 * imported.get("cpu_seconds", 0) / max(count, 1), 1),
                            "write_floor_seconds": round(floor_seconds, 2), "write_floor_rows": floor_rows,
                            "write_floor_vs_copy_percent": round(100 * copy_seconds / floor_seconds, 1)}
        rows += [("ingest: minilok indicators import", f"{count:,} rows", f"{imported['seconds']:.1f} s",
                  f"{count / imported['seconds']:,.0f} rows/s",
                  f"{imported['events']:,} events, peak RSS {imported['rss']['peak_mib']} MiB, "
                  f"CLI CPU {1e6 * imported['cpu_seconds'] / max(count, 1):.0f} us/row"),
                 ("  baseline: COPY of the same CSV", f"{count:,} rows", f"{copy_seconds:.1f} s",
                  f"{count / copy_seconds:,.0f} rows/s",
                  f"import = {imported['seconds'] / copy_seconds:.1f}x COPY "
                  f"({100 * copy_seconds / imported['seconds']:.1f} % of its speed)"),
                 ("  floor: INSERT..SELECT of the rows written", f"{sum(floor_rows.values()):,} rows",
                  f"{floor_seconds:.1f} s", "",
                  f"{', '.join(f'{n} {c:,}' for n, c in floor_rows.items())}: an import at best "
                  f"{100 * copy_seconds / floor_seconds:.1f} % of COPY")]
        print(f"import: {imported} / COPY {copy_seconds:.1f} s", flush=True)
        result["load_average"] = os.getloadavg()
        if args.import_only:
            print(table(rows, ("what", "size", "time", "rate / p95", "notes")))
            print(f"\nwritten: {write_result('indicators', result)}")
            return 0

        # --- 10M values, rollups rebuilt, reads at kota / provinsi / national ---
        with Timer() as t:
            bulk = copy_bulk_values(url, kelurahan, args.rollup_values, rng)
        print(f"COPY {bulk:,} values: {t.seconds:.1f} s", flush=True)
        rebuild_seconds, rollup_rows = rebuild_rollups(url)
        print(f"rebuild: {rollup_rows:,} rollup rows in {rebuild_seconds:.1f} s", flush=True)
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.connect() as conn:
            total_values = conn.scalar(text("SELECT count(*) FROM indicator_values"))
            kota = [r[0] for r in conn.execute(text("SELECT code FROM areas WHERE level = 'kota'"))]
            provinsi = [r[0] for r in conn.execute(text("SELECT code FROM areas WHERE level = 'provinsi'"))]
        engine.dispose()
        result["rollup_data"] = {"values_total": total_values, "copied": bulk, "copy_seconds": round(t.seconds, 1),
                                 "rebuild_seconds": round(rebuild_seconds, 1), "rollup_rows": rollup_rows}
        rows += [("load: COPY into indicator_values", f"{bulk:,} rows", f"{t.seconds:.1f} s", "", ""),
                 ("rebuild-aggregates (10 indicators)", f"{rollup_rows:,} rollup rows", f"{rebuild_seconds:.1f} s",
                  f"{bulk / rebuild_seconds:,.0f} values/s", "")]

        port = free_port()
        api = start_api(url, port)
        latencies: dict = {}
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=120,
                              headers={"Authorization": f"Bearer {token()}"}) as client:
                client.get("/rollup", params={"indicator": "DBD_IR", "area": "ID", "period": "2026"})  # warm up
                periods = [f"{YEAR}-{m:02d}" for m in range(1, 13)] + [f"{YEAR}Q{q}" for q in range(1, 5)] + [str(YEAR)]
                levels = {"kota": kota, "provinsi": provinsi, "national": ["ID"]}
                # A flow (sum) and a stock (mean denominator), among the indicators loaded.
                loaded = ROLLUP_INDICATORS[:max(1, -(-bulk // (len(kelurahan) * 12)))]
                measured = [code for code in ("POSYANDU_ND", "DBD_IR") if code in loaded]
                with RssSampler({"indicators-api": api.pid}) as rss:
                    for level, codes in levels.items():
                        cases = [(rng.choice(measured), rng.choice(codes), rng.choice(periods))
                                 for _ in range(args.requests)]
                        params = [{"indicator": i, "area": a, "period": p} for i, a, p in cases]
                        stored = latency_summary(time_requests(client, "/rollup", params))
                        ranked = latency_summary(time_requests(client, "/ranking", params))
                        baseline = latency_summary(time_from_values(url, cases[:args.baseline_requests]))
                        latencies[level] = {"rollup": stored, "ranking": ranked, "from_values_baseline": baseline}
                        rows.append((f"GET /rollup, {level}", f"{stored['count']} requests",
                                     f"p50 {stored['p50_ms']} ms", f"p95 {stored['p95_ms']} ms",
                                     f"max {stored['max_ms']} ms"))
                        rows.append((f"GET /ranking, {level}", f"{ranked['count']} requests",
                                     f"p50 {ranked['p50_ms']} ms", f"p95 {ranked['p95_ms']} ms",
                                     f"max {ranked['max_ms']} ms"))
                        rows.append((f"  baseline: from values, {level}", f"{baseline['count']} reads",
                                     f"p50 {baseline['p50_ms']} ms", f"p95 {baseline['p95_ms']} ms",
                                     f"max {baseline['max_ms']} ms"))
                        print(rows[-3:], flush=True)
                    # Cumulative (PWS): the months of the year, a quarter, the year; national first.
                    if "SPM_BUMIL" in loaded:
                        months = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
                        for level, codes in levels.items():
                            params = [{"indicator": "SPM_BUMIL", "area": rng.choice(codes),
                                       "period": rng.choice([*months, f"{YEAR}Q2", str(YEAR)])}
                                      for _ in range(args.requests)]
                            stored = latency_summary(time_requests(client, "/rollup", params))
                            ranked = latency_summary(time_requests(client, "/ranking", params))
                            latencies[f"cumulative_{level}"] = {"indicator": "SPM_BUMIL", "rollup": stored,
                                                                "ranking": ranked}
                            rows.append((f"GET /rollup cumulative SPM_BUMIL, {level}", f"{stored['count']} requests",
                                         f"p50 {stored['p50_ms']} ms", f"p95 {stored['p95_ms']} ms",
                                         f"max {stored['max_ms']} ms"))
                            rows.append((f"GET /ranking cumulative SPM_BUMIL, {level}",
                                         f"{ranked['count']} requests", f"p50 {ranked['p50_ms']} ms",
                                         f"p95 {ranked['p95_ms']} ms", f"max {ranked['max_ms']} ms"))
                            print(rows[-2:], flush=True)
                        sample = client.get("/rollup", params={"indicator": "SPM_BUMIL", "area": "ID",
                                                               "period": f"{YEAR}-06"}).json()
                        print("national SPM_BUMIL 2026-06:", {k: sample.get(k) for k in (
                            "value", "period_value", "target_for_period", "pws_status")}, flush=True)
                result["api_rss"] = rss.summary_mib()["indicators-api"]
        finally:
            api.terminate()
            api.wait(10)
        result["latency"] = latencies
    print()
    print(table(rows, ("what", "size", "time", "rate / p95", "notes")))
    print(f"\nwritten: {write_result('indicators', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
