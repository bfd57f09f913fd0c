"""Searching areas by name (`GET /api/v1/areas?q=`) on a real database (SQLite or PostgreSQL by
MINILOK_TEST_DB): case- and accent-insensitive, by name prefix or a later word, every word of the
query; best match first; narrowed by level, parent (beneath, at any depth) and parent_code; pages
by cursor; items carry their place in words ("Kepulauan Riau › Kota Batam › Batam Kota"); each
word asked is a range on ix_area_words_word, and areas loaded before the migration are found."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from minilok_indicators.app import create_app
from minilok_indicators.config import get_settings
from minilok_indicators.dialect import starts_with
from minilok_indicators.domain.names import name_words
from minilok_indicators.models import Area, AreaWord
from minilok_indicators.service_layer.areas import add_areas
from minilok_indicators.spec import spec
from minilok_shared.db import alembic_config, make_engine, upgrade
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session
from test_indicators_api import ADMIN, AGENCY, BATAM

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BALIKPAPAN = [
    {"code": "64", "name": "Kalimantan Timur", "level": "provinsi"},
    {"code": "64.71", "name": "Kota Balikpapan", "level": "kota", "parent_code": "64"},
    {"code": "64.71.05", "name": "Balikpapan Barat", "level": "kecamatan", "parent_code": "64.71"},
    {"code": "64.71.05.1005", "name": "Baru Tengah", "level": "kelurahan", "parent_code": "64.71.05"},
    {"code": "64.71.05.1006", "name": "Margo Mulyo", "level": "kelurahan", "parent_code": "64.71.05"},
    {"code": "21.71.06.1007", "name": "Sungai Pänas", "level": "kelurahan", "parent_code": "21.71.06"},
]


@pytest.fixture
def client(database_url, monkeypatch):
    url = database_url("indicators", migrated=True)
    monkeypatch.setenv("INDICATORS_DATABASE_URL", url)
    get_settings.cache_clear()
    upgrade(spec.migrations, url, "indicators")
    with TestClient(create_app()) as test_client:
        yield test_client
    get_settings.cache_clear()


@pytest.fixture
def areas(client):
    response = client.post("/api/v1/areas/bulk", json=BATAM + BALIKPAPAN, headers=ADMIN)
    assert response.status_code == 201, response.text
    return client


def search(client, **params) -> list[dict]:
    response = client.get("/api/v1/areas", params=params, headers=AGENCY)  # every role reads
    assert response.status_code == 200, response.text
    return response.json()["items"]


def names(items: list[dict]) -> list[str]:
    return [i["name"] for i in items]


def test_name_prefix_and_later_words_case_insensitive_best_first(areas):
    # "Batam Kota" starts with it; "Kota Batam" has it as a later word.
    assert names(search(areas, q="batam")) == ["Batam Kota", "Kota Batam"]
    assert names(search(areas, q="BALOI")) == ["Baloi Permai", "Taman Baloi"]
    assert names(search(areas, q="permai")) == ["Baloi Permai"]
    assert names(search(areas, q="Baru Tengah")) == ["Baru Tengah"]  # the whole name
    assert names(search(areas, q="kota bat")) == ["Kota Batam", "Batam Kota"]  # every word; a name prefix first
    assert names(search(areas, q="sungai panas")) == ["Sungai Pänas"]  # accents ignored
    assert search(areas, q="zzz") == []


def test_items_carry_code_level_parent_and_their_place_in_words(areas):
    (item,) = search(areas, q="batam kota")[:1]
    assert item["code"] == "21.71.06" and item["level"] == "kecamatan" and item["parent_code"] == "21.71"
    assert item["path_name"] == "Kepulauan Riau › Kota Batam › Batam Kota"
    assert item["path"] == "/21/21.71/21.71.06/"  # the materialised path, as before
    (baloi,) = search(areas, q="baloi permai")
    assert baloi["path_name"] == "Kepulauan Riau › Kota Batam › Batam Kota › Baloi Permai"
    # The plain list carries the place too.
    listed = search(areas, parent_code="64.71.05")
    assert [i["path_name"] for i in listed] == ["Kalimantan Timur › Kota Balikpapan › Balikpapan Barat › Baru Tengah",
                                               "Kalimantan Timur › Kota Balikpapan › Balikpapan Barat › Margo Mulyo"]


def test_narrowed_by_level_parent_and_parent_code(areas):
    assert names(search(areas, q="ba", level="kelurahan")) == ["Baloi Permai", "Baru Tengah", "Taman Baloi"]
    assert names(search(areas, q="ba", parent="64")) == ["Balikpapan Barat", "Baru Tengah", "Kota Balikpapan"]
    assert names(search(areas, q="ba", parent="21.71.06")) == ["Baloi Permai", "Taman Baloi"]
    assert names(search(areas, q="posyandu", parent_code="21.71.06.1004")) == ["Posyandu Mawar 12",
                                                                                "Posyandu Mawar X"]
    assert names(search(areas, parent="64.71")) == ["Balikpapan Barat", "Baru Tengah", "Margo Mulyo"]
    assert areas.get("/api/v1/areas", params={"q": "ba", "parent": "99"}, headers=ADMIN).status_code == 404


def test_a_code_finds_the_area_and_what_lies_beneath(areas):
    assert [i["code"] for i in search(areas, q="64.71.05")] == ["64.71.05", "64.71.05.1005", "64.71.05.1006"]


def test_pages_by_cursor_without_gaps_or_repeats(areas):
    everything = [i["code"] for i in search(areas, q="ba", limit=200)]
    assert len(everything) == 7
    seen, cursor = [], None
    while True:
        response = areas.get("/api/v1/areas", params={"q": "ba", "limit": 3, **({"cursor": cursor} if cursor else {})},
                             headers=ADMIN).json()
        seen += [i["code"] for i in response["items"]]
        cursor = response["next_cursor"]
        if not cursor:
            break
    assert seen == everything


def test_bad_queries_are_422_naming_the_field(areas):
    for params, field in (({"q": "ba\x00"}, "q"), ({"q": "x" * 101}, "q"), ({"q": "ba", "cursor": "!!"}, "cursor")):
        response = areas.get("/api/v1/areas", params=params, headers=ADMIN)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["detail"][0]["loc"][-1] == field


def plan_of(engine, query) -> str:
    compiled = query.compile(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            return " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        return " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}",
                                                                       tuple(compiled.params.values())))


def test_each_word_is_one_range_on_the_word_index_at_national_scale(client):
    """84,000 desa/kelurahan: a word is an index range on both databases, and a search answers fast."""
    engine = client.app.state.engine
    provinces = [{"code": f"{p:02d}", "name": f"Provinsi {p}", "level": "provinsi", "parent_code": None}
                 for p in range(11, 21)]
    kota = [{"code": f"{p:02d}.{k:02d}", "name": f"Kabupaten Contoh {p}-{k}", "level": "kota",
             "parent_code": f"{p:02d}"} for p in range(11, 21) for k in range(1, 11)]
    kecamatan = [{"code": f"{a['code']}.{c:02d}", "name": f"Kecamatan Uji {a['code']}.{c}", "level": "kecamatan",
                  "parent_code": a["code"]} for a in kota for c in range(1, 29)]
    pick = random.Random(17)
    desa = [{"code": f"{c['code']}.{d:04d}", "level": "desa", "parent_code": c["code"],
             "name": f"{pick.choice(SYLLABLES).title()} {pick.choice(SYLLABLES).title()}"}
            for c in kecamatan for d in range(1, 31)]
    assert len(desa) == 84_000
    with Session(engine) as session, session.begin():
        rows, errors = add_areas(session, provinces + kota + kecamatan[:2])
        assert errors == []
        # The rest as add_areas would write them, in one executemany each (faster to load here).
        rows = []
        for area in kecamatan[2:] + desa:
            parent = area["parent_code"]
            rows.append({**area, "path": f"/{parent[:2]}/{parent[:5]}/" + (f"{parent}/" if len(parent) > 5 else "")
                         + f"{area['code']}/", "depth": 2 if area["level"] == "kecamatan" else 3,
                         "created_at": T0, "search_name": " ".join(name_words(area["name"]))})
        session.execute(insert(Area), rows)
        session.execute(insert(AreaWord), [{"area_code": r["code"], "word": w} for r in rows
                                           for w in name_words(r["name"])])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE areas")), conn.execute(text("ANALYZE area_words"))
    query = select(AreaWord.area_code).where(starts_with(engine.dialect.name, AreaWord.word, "sukamaju"))
    assert "ix_area_words_word" in plan_of(engine, query)
    started = time.perf_counter()
    found = search(client, q="suka maj", limit=20)
    elapsed = time.perf_counter() - started
    assert len(found) == 20 and all(i["name"] in ("Suka Maju", "Maju Suka") for i in found), found[:3]
    assert found[0]["path_name"].startswith("Provinsi ")
    assert elapsed < 2.0, elapsed  # typically tens of milliseconds; generous for a loaded machine


SYLLABLES = ["suka", "maju", "jaya", "mekar", "sari", "tani", "makmur", "baru", "indah", "lestari", "rejo",
             "mulyo", "harapan", "karya", "bakti"]


def test_areas_loaded_before_the_migration_are_found(database_url):
    """Revision 0005 fills the words of the areas already there."""
    url = database_url("indicators")
    command.upgrade(alembic_config(spec.migrations, url), "0004")
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["areas"])
    with engine.begin() as conn:
        conn.execute(meta.tables["areas"].insert(), [
            {"code": "21", "name": "Kepulauan Riau", "level": "provinsi", "parent_code": None, "path": "/21/",
             "depth": 0, "created_at": T0},
            {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21", "path": "/21/21.71/",
             "depth": 1, "created_at": T0}])
    command.upgrade(alembic_config(spec.migrations, url), "head")
    with Session(engine) as session:
        words = session.execute(select(AreaWord.area_code, AreaWord.word)
                                .order_by(AreaWord.area_code, AreaWord.word)).all()
        assert [tuple(w) for w in words] == [("21", "kepulauan"), ("21", "riau"), ("21.71", "batam"),
                                             ("21.71", "kota")]
        assert session.get(Area, "21.71").search_name == "kota batam"
    engine.dispose()
