"""`minilok indicators load-catalogue` and `minilok indicators import FILE` as users run them."""

from __future__ import annotations

import json
import os
import subprocess

from minilok_indicators.models import AreaRollup, Indicator, IndicatorValue
from minilok_indicators.service_layer.catalogue import read_catalogue
from sqlalchemy import create_engine, delete, func, select
from support import BIN

SPM = [f"SPM_{name}" for name in ("BUMIL", "BULIN", "BBL", "BALITA", "USIA_DIKDAS", "USIA_PRODUKTIF", "LANSIA",
                                  "HIPERTENSI", "DM", "ODGJ", "TB", "HIV")]


def minilok(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "minilok"), *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def test_catalogue_file_has_what_the_issue_asks():
    codes = {indicator.code for indicator in read_catalogue()}
    assert set(SPM) <= codes
    assert {"DBD_CASES", "DBD_IR", "DBD_CFR", "DBD_ABJ", "POSYANDU_DS", "POSYANDU_ND", "IDL", "TB_CNR", "TB_TSR",
            "STUNTING", "SLHS"} <= codes
    assert all(indicator.source for indicator in read_catalogue())


def test_load_catalogue_twice_then_import(database_url, tmp_path):
    url = database_url("indicators")
    env = {"INDICATORS_DATABASE_URL": url, "MINILOK_VAR_DIR": str(tmp_path)}
    for _ in range(2):
        done = minilok(env, "indicators", "load-catalogue")
        assert done.returncode == 0, done.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Indicator)).scalar() == len(read_catalogue())
        ir = conn.execute(select(Indicator).where(Indicator.code == "DBD_IR")).one()
        assert (ir.unit, ir.factor, ir.direction, ir.denominator_aggregation) == (
            "per_100k", 100_000, "lower_is_better", "mean")

    areas = tmp_path / "areas.csv"
    areas.write_text("code,name,level,parent_code\n"
                     "64.71,Kota Balikpapan,kota,\n"
                     "64.71.02.1003,Baru Tengah,kelurahan,64.71.02\n"
                     "64.71.02,Balikpapan Barat,kecamatan,64.71\n")
    done = minilok(env, "indicators", "load-areas", str(areas))
    assert done.returncode == 0, done.stderr
    assert "3 wilayah" in done.stdout
    again = minilok(env, "indicators", "load-areas", str(areas))
    assert again.returncode == 1 and "sudah ada" in again.stderr

    csv_file = tmp_path / "values.csv"
    lines = ["indicator_code,area_code,period,numerator,denominator,value"]
    lines += [f"POSYANDU_DS,64.71.02.1003,2026-{m:02d},{60 + m},100," for m in range(1, 13)]
    lines += ["POSYANDU_DS,64.71.02.1003,2026Q1,1,2,"]
    csv_file.write_text("\n".join(lines) + "\n")
    done = minilok(env, "indicators", "import", str(csv_file))
    assert done.returncode == 1, done.stderr  # one row rejected
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["accepted"] == 12 and summary["rejected"] == 1
    assert "row 12: period" in done.stderr
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(IndicatorValue)).scalar() == 12
        stored = conn.execute(select(AreaRollup.numerator).where(
            AreaRollup.indicator_code == "POSYANDU_DS", AreaRollup.period == "2026", AreaRollup.area_code == "ID"))
        assert stored.scalar() == sum(60 + m for m in range(1, 13))
        conn.execute(delete(AreaRollup))
        conn.commit()

    # The stored rollups can be recomputed from the values (after a restore, say).
    done = minilok(env, "indicators", "rebuild-aggregates", "--indicator", "POSYANDU_DS")
    assert done.returncode == 0, done.stderr
    assert "rollup" in done.stdout
    with engine.connect() as conn:
        stored = conn.execute(select(AreaRollup.numerator).where(
            AreaRollup.indicator_code == "POSYANDU_DS", AreaRollup.period == "2026Q1", AreaRollup.area_code == "ID"))
        assert stored.scalar() == 61 + 62 + 63
    engine.dispose()
