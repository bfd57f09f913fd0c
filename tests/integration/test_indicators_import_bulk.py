"""`minilok indicators import` of a chunk large enough for the COPY path: one bad row in the middle is
reported alone, the rollups equal a rebuild, and a second run over the same file changes nothing."""

from __future__ import annotations

import json

from minilok_indicators.models import AreaRollup, IndicatorValue, TargetStatus, ValueOutlier, outbox
from sqlalchemy import create_engine, func, select
from test_indicators_cli import minilok

KELURAHAN = [f"64.71.{k:02d}.{1000 + v}" for k in (1, 2) for v in range(1, 101)]
BAD_INDEX = 1200


def _write_files(tmp_path):
    areas = tmp_path / "areas.csv"
    lines = ["code,name,level,parent_code", "64.71,Kota Balikpapan,kota,"]
    lines += [f"64.71.{k:02d},Kecamatan {k},kecamatan,64.71" for k in (1, 2)]
    lines += [f"{code},Kelurahan {code},kelurahan,{code[:8]}" for code in KELURAHAN]
    areas.write_text("\n".join(lines) + "\n")
    values = tmp_path / "values.csv"
    lines = ["indicator_code,area_code,period,numerator,denominator,value"]
    for i, code in enumerate(KELURAHAN):
        for month in range(1, 13):
            # Some kelurahan under the 80 % target, some over; one month far off its history.
            weighed = 50 + (i * 7 + month * 3) % 50 if month != 12 or i % 10 else 5
            lines.append(f"POSYANDU_DS,{code},2026-{month:02d},{weighed},100,")
    lines[1 + BAD_INDEX] = f"POSYANDU_DS,{KELURAHAN[100]},2026-13,60,100,"
    values.write_text("\n".join(lines) + "\n")
    return areas, values


def _state(engine) -> dict:
    with engine.connect() as conn:
        return {
            "values": conn.execute(select(IndicatorValue.period, IndicatorValue.area_code, IndicatorValue.numerator,
                                          IndicatorValue.updated_at).order_by(IndicatorValue.period,
                                                                              IndicatorValue.area_code)).all(),
            "rollups": conn.execute(select(AreaRollup).order_by(AreaRollup.period, AreaRollup.area_code)).all(),
            "status": conn.execute(select(TargetStatus).order_by(TargetStatus.period, TargetStatus.area_code)).all(),
            "outliers": conn.execute(select(ValueOutlier).order_by(ValueOutlier.period,
                                                                   ValueOutlier.area_code)).all(),
            "outbox": conn.execute(select(func.count()).select_from(outbox)).scalar(),
        }


def test_bulk_import_reports_the_bad_row_and_a_rerun_changes_nothing(database_url, tmp_path):
    url = database_url("indicators")
    env = {"INDICATORS_DATABASE_URL": url, "MINILOK_VAR_DIR": str(tmp_path)}
    areas, values = _write_files(tmp_path)
    assert minilok(env, "indicators", "load-catalogue").returncode == 0
    assert minilok(env, "indicators", "load-areas", str(areas)).returncode == 0

    done = minilok(env, "indicators", "import", str(values))
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["accepted"] == len(KELURAHAN) * 12 - 1 and summary["rejected"] == 1
    assert summary["events"] > 0
    reported = [line for line in done.stderr.splitlines() if line.startswith("baris/row")]
    assert reported == [reported[0]] and reported[0].startswith(f"baris/row {BAD_INDEX}: period: periode '2026-13'")

    engine = create_engine(url)
    first = _state(engine)
    assert len(first["values"]) == len(KELURAHAN) * 12 - 1
    assert first["outbox"] == summary["events"] == sum(1 for row in first["status"] if row.below)
    assert first["outliers"], "the far-off Decembers are flagged"
    national = {row.period: row for row in first["rollups"] if row.area_code == "ID"}
    assert national["2026"].reports == len(KELURAHAN) * 12 - 1

    again = minilok(env, "indicators", "import", str(values))
    assert again.returncode == 1, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["events"] == 0
    assert _state(engine) == first  # no value touched (updated_at kept), no rollup, status, flag or event

    # The rollups kept incrementally are the ones computed from the values.
    assert minilok(env, "indicators", "rebuild-aggregates").returncode == 0
    rebuilt = _state(engine)["rollups"]
    assert [(r.period, r.area_code, r.reports, r.denominator_reports) for r in rebuilt] == [
        (r.period, r.area_code, r.reports, r.denominator_reports) for r in first["rollups"]]
    assert all(abs(a.numerator - b.numerator) < 1e-6 and abs(a.denominator - b.denominator) < 1e-6
               for a, b in zip(rebuilt, first["rollups"], strict=True))
    engine.dispose()
