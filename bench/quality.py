"""Completeness and outlier flagging at national scale (PostgreSQL).

    python bench/quality.py [--database-url ...]

A national-sized hierarchy (82,992 kelurahan, as bench/indicators.py), a year of POSYANDU_DS values
(2025-06..2026-05) for 95 % of the kelurahan loaded with COPY, then, in process:
1. `completeness` for 2026-05 at national, provinsi, kota and kecamatan level (p50/p95 of 20 each);
2. `flag_outliers` over a whole month's import (2026-06, every kelurahan, a few far off), in the
   chunks ingest uses: rows per second and how many were flagged.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import database, latency_summary  # noqa: E402
from indicators import hierarchy, psycopg_url  # noqa: E402

MONTHS = [f"2025-{m:02d}" for m in range(6, 13)] + [f"2026-{m:02d}" for m in range(1, 6)]


def setup(url: str, provinces: int) -> list[str]:
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--provinces", type=int, default=38, help="38: the whole country")
    args = parser.parse_args()
    import psycopg
    from minilok_indicators.domain.periods import parse_period
    from minilok_indicators.models import Area, Indicator
    from minilok_indicators.service_layer.quality import completeness, flag_outliers
    from minilok_indicators.service_layer.rollups import national_area
    from minilok_shared.db import make_engine, make_sessionmaker

    rng = random.Random(18)
    with database(args.database_url, "minilok_bench_quality") as url:
        started = time.perf_counter()
        kelurahan = setup(url, args.provinces)
        print(f"areas loaded: {len(kelurahan)} kelurahan in {time.perf_counter() - started:.1f} s")
        reporting = [code for code in kelurahan if rng.random() < 0.95]
        written = 0
        with psycopg.connect(psycopg_url(url)) as conn:
            with conn.cursor().copy("COPY indicator_values (indicator_code, period, area_code, numerator, "
                                    "denominator, value, updated_at) FROM STDIN") as copy:
                for period in MONTHS:
                    for code in reporting:
                        den = 100
                        num = rng.randint(70, 90)
                        copy.write_row(("POSYANDU_DS", period, code, num, den, num, "2026-06-01T00:00Z"))
                        written += 1
            conn.commit()
        with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE indicator_values")
            conn.execute("VACUUM ANALYZE areas")
        print(f"history: {written:,} values")
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            indicator = session.get(Indicator, "POSYANDU_DS")
            period = parse_period("2026-05")
            places = {"national": national_area(), "provinsi": session.get(Area, "11"),
                      "kota": session.get(Area, "11.01"), "kecamatan": session.get(Area, "11.01.01")}
            print("completeness 2026-05 (in process):")
            for name, place in places.items():
                samples, result = [], None
                for _ in range(20):
                    t = time.perf_counter()
                    result = completeness(session, indicator, place, period)
                    samples.append(time.perf_counter() - t)
                s = latency_summary(samples)
                print(f"  {name:10s} expected {result.expected:6d} reported {result.reported:6d} "
                      f"p50 {s['p50_ms']:7.1f} ms  p95 {s['p95_ms']:7.1f} ms")
            rows = []
            for code in kelurahan:
                value = float(rng.randint(70, 90)) if rng.random() > 0.001 else 5.0
                rows.append({"indicator_code": "POSYANDU_DS", "period": "2026-06", "area_code": code,
                             "numerator": value, "denominator": 100.0, "value": value})
            if os.environ.get("PROFILE"):
                import cProfile
                cProfile.runctx("flag_outliers(session, {'POSYANDU_DS': indicator}, rows[:2000])", globals(), locals(),
                                sort="cumtime")
                session.rollback()
            t = time.perf_counter()
            flagged = flag_outliers(session, {"POSYANDU_DS": indicator}, rows)
            elapsed = time.perf_counter() - t
            session.commit()
            print(f"flag_outliers over one month's import: {len(rows):,} rows in {elapsed:.2f} s "
                  f"({len(rows) / elapsed:,.0f} rows/s), {flagged} flagged")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
