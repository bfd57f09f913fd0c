"""Bad input is a 4xx naming the field, never a 500, in every service: forged cursors, JSON that is
not JSON, out-of-range dates and periods, control characters in single-line text; and 503 with
Retry-After while the database is unreachable."""

from __future__ import annotations

import base64
import os

import pytest
from fastapi.testclient import TestClient
from minilok_shared.auth import create_token
from minilok_shared.service import get_service
from sqlalchemy import create_engine, text
from support import PG_ADMIN_URL, backend, free_port


def raw_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


# Forged for every list, whatever its cursor holds; then per kind of cursor (an id, a code, a time and an id).
FORGED = ["[[1]]", "[NaN]", "[Infinity]", "[1, 2, 3]", '"1"', "[]", "[1e400]", "[true]", "[99999999999999999999999]",
          "[null]", '{"id": 1}']
FORGED_CURSORS = [raw_cursor(c) for c in FORGED] + ["!!!", raw_cursor("[" * 3000)]
FORGED_BY_KIND = {
    "id": ['["x"]', "[1.5]", '["1"]', f"[{2**63}]"],
    "code": ["[1]", '["a\\u0000"]', '["\\ud800"]', '["%s"]' % ("x" * 2000)],
    "time": ['["x", 1]', '[1, 1]', '["9999-12-31T23:59:59-14:00", 1]', '["2026-01-01T00:00:00", 1]',
             '["2026-01-01T00:00:00+07:00", "1"]'],
}


@pytest.fixture
def worlds(service_api):
    """The three services with one of everything a list needs to answer."""
    meetings, indicators, notifications = (service_api(n) for n in ("meetings", "indicators", "notifications"))
    puskesmas = meetings.post("/api/v1/puskesmas", json={
        "code": "BP01", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta", "area_code": "21.71.06",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau"}).json()["id"]
    agency = meetings.post("/api/v1/agencies", json={"name": "Kelurahan Baloi Permai", "kind": "kelurahan",
                                                     "puskesmas_id": puskesmas}).json()["id"]
    meeting = meetings.post("/api/v1/meetings", json={"puskesmas_id": puskesmas, "kind": "monthly_internal",
                                                      "title": "Minilok", "scheduled_at": "2026-01-05T09:00:00+07:00"})
    assert meeting.status_code == 201, meeting.text
    followup = meetings.post(f"/api/v1/meetings/{meeting.json()['id']}/follow-ups", json={
        "title": "Pelacakan kontak TB", "owner_agency_id": agency, "due_in_working_days": 5})
    assert followup.status_code == 201, followup.text
    assert indicators.post("/api/v1/areas", json={"code": "21", "name": "Kepulauan Riau",
                                                   "level": "provinsi"}).status_code == 201
    assert indicators.post("/api/v1/indicators", json={
        "code": "POSYANDU_DS", "name": "D/S", "unit": "percent", "target": 80, "direction": "higher_is_better",
        "period_type": "monthly"}).status_code == 201
    return {"meetings": meetings, "indicators": indicators, "notifications": notifications,
            "puskesmas": puskesmas, "agency": agency, "meeting": meeting.json()["id"],
            "followup": followup.json()["id"]}


def every_list(w) -> list[tuple]:
    meetings, indicators, notifications = w["meetings"], w["indicators"], w["notifications"]
    return [
        (meetings, "/api/v1/puskesmas", "id"), (meetings, "/api/v1/agencies", "id"),
        (meetings, "/api/v1/meetings", "time"), (meetings, "/api/v1/follow-ups", "id"),
        (meetings, f"/api/v1/follow-ups/{w['followup']}/history", "id"), (meetings, "/api/v1/proposals", "id"),
        (meetings, "/api/v1/audit", "id"),
        (indicators, "/api/v1/areas", "code"), (indicators, "/api/v1/indicators", "code"),
        (indicators, "/api/v1/effectiveness?indicator=POSYANDU_DS&area=21", "id"), (indicators, "/api/v1/audit", "id"),
        (notifications, "/api/v1/subscriptions", "id"), (notifications, "/api/v1/deliveries", "id"),
        (notifications, "/api/v1/audit", "id"),
    ]


def assert_cursor_refused(api, url: str, cursor: str) -> None:
    r = api.get(f"{url}{'&' if '?' in url else '?'}cursor={cursor}")  # base64url: nothing to escape
    assert r.status_code == 422, (url, r.status_code, r.text)
    assert r.json()["detail"][0]["loc"] == ["query", "cursor"], (url, r.text)


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_a_forged_cursor_on_every_list_is_422_naming_cursor(worlds, cursor):
    for api, url, _kind in every_list(worlds):
        assert_cursor_refused(api, url, cursor)


def test_a_cursor_of_the_wrong_kind_is_422_naming_cursor(worlds):
    for api, url, kind in every_list(worlds):
        for forged in FORGED_BY_KIND[kind]:
            assert_cursor_refused(api, url, raw_cursor(forged))


def test_a_cursor_the_list_gave_still_pages(worlds):
    api = worlds["meetings"]
    api.post("/api/v1/meetings", json={"puskesmas_id": worlds["puskesmas"], "kind": "other", "title": "Kedua",
                                       "scheduled_at": "2026-02-05T09:00:00+07:00"})
    first = api.get("/api/v1/meetings", params={"limit": 1}).json()
    rest = api.get("/api/v1/meetings", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [m["title"] for m in first["items"] + rest["items"]] == ["Kedua", "Minilok"]


def post_raw(api, url: str, body: bytes, method: str = "post"):
    return getattr(api, method)(url, content=body, headers={**api.admin, "Content-Type": "application/json"})


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", '"\\ud800"', '"x\\udfff"'])
def test_nan_infinity_and_lone_surrogates_are_422_naming_the_field(worlds, literal):
    meetings, indicators, notifications = worlds["meetings"], worlds["indicators"], worlds["notifications"]
    cases = [
        (meetings, "post", "/api/v1/puskesmas", '{"code": "BP02", "name": %s, "timezone": "Asia/Jakarta", '
         '"area_code": "21.71", "kota": "Batam", "provinsi": "Kepri"}', ["body", "name"]),
        (meetings, "patch", f"/api/v1/follow-ups/{worlds['followup']}", '{"title": %s}', ["body", "title"]),
        (meetings, "put", f"/api/v1/meetings/{worlds['meeting']}/attendance",
         '[{"agency_id": 1, "person_name": "Budi"}, {"agency_id": 1, "person_name": %s}]', ["body", 1, "person_name"]),
        (indicators, "post", "/api/v1/values",
         '[{"indicator_code": "POSYANDU_DS", "area_code": "21", "period": "2026-01", "numerator": %s}]',
         ["body", 0, "numerator"]),
        (indicators, "post", "/api/v1/import/dhis2", '{"dataValues": [{"value": %s}]}',
         ["body", "dataValues", 0, "value"]),
        (notifications, "post", "/api/v1/subscriptions", '{"agency_id": 1, "event_types": ["followup.*"], '
         '"channel": "email", "target": %s}', ["body", "target"]),
    ]
    for api, method, url, template, loc in cases:
        r = post_raw(api, url, (template % literal).encode(), method)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.json()["detail"][0]["loc"] == loc, (url, r.text)
    rollup = indicators.get("/api/v1/rollup", params={"indicator": "POSYANDU_DS", "area": "21", "period": "2026-01"})
    assert rollup.status_code == 200 and rollup.json()["numerator"] in (None, 0)  # no NaN was stored


def test_a_json_body_sent_without_a_content_type_is_checked_too(worlds):
    # FastAPI reads a body without Content-Type as JSON, so the guard must too.
    api = worlds["indicators"]
    r = api.client.post("/api/v1/areas", content=b'{"code": "22", "name": "\\ud800", "level": "provinsi"}',
                        headers=api.admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"], r.text


def test_the_words_nan_and_infinity_in_text_are_fine(worlds):
    r = worlds["meetings"].patch(f"/api/v1/follow-ups/{worlds['followup']}", json={"title": "NaN Infinity \U0001F600"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "10000-01-01T00:00:00Z",
                                    "1000-01-01T00:00:00Z"])
def test_out_of_range_datetimes_are_422_naming_the_field(worlds, moment):
    api, meeting = worlds["meetings"], worlds["meeting"]
    r = api.post("/api/v1/meetings", json={"puskesmas_id": worlds["puskesmas"], "kind": "other", "title": "x",
                                           "scheduled_at": moment})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "scheduled_at"], r.text
    r = api.post(f"/api/v1/meetings/{meeting}/follow-ups", json={"title": "x", "owner_agency_id": worlds["agency"],
                                                                 "due_at": moment})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "due_at"], r.text
    r = api.patch(f"/api/v1/follow-ups/{worlds['followup']}", json={"due_at": moment})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "due_at"], r.text
    for url, name in (("/api/v1/meetings", "to"), ("/api/v1/meetings", "from"), ("/api/v1/follow-ups", "due_before")):
        r = api.get(url, params={name: moment})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", name], (url, r.text)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "10000-01-01"])
def test_out_of_range_dates_are_422_naming_the_field(worlds, day):
    api = worlds["meetings"]
    r = api.post(f"/api/v1/meetings/{worlds['meeting']}/follow-ups", json={
        "title": "x", "owner_agency_id": worlds["agency"], "due_date": day})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "due_date"], r.text
    r = api.patch(f"/api/v1/puskesmas/{worlds['puskesmas']}", json={"extra_holidays": ["2026-01-02", day]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "extra_holidays", 1], r.text


@pytest.mark.parametrize("period", ["0000", "0000-01", "0000Q1", "2026-13", "2026-01\n", "99999"])
def test_a_period_without_a_real_year_is_422_naming_period(worlds, period):
    api = worlds["indicators"]
    for url in ("/api/v1/rollup", "/api/v1/ranking", "/api/v1/fhir/MeasureReport"):
        r = api.get(url, params={"indicator": "POSYANDU_DS", "area": "21", "period": period})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "period"], (url, r.text)
    if period.strip() == period:  # a value's text fields are stripped first, like every body's
        r = api.post("/api/v1/values", json=[{"indicator_code": "POSYANDU_DS", "area_code": "21", "period": period,
                                              "numerator": 1, "denominator": 2}])
        assert r.status_code == 200 and r.json()["rejected"][0]["field"] == "period", r.text


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u2028", "\u2029"])
def test_control_characters_in_single_line_text_are_422_naming_the_field(worlds, char):
    meetings, indicators, notifications = worlds["meetings"], worlds["indicators"], worlds["notifications"]
    cases = [
        (meetings, "post", "/api/v1/puskesmas", {"code": "BP09", "name": f"Puskesmas{char}X",
                                                  "timezone": "Asia/Jakarta", "area_code": "21.71", "kota": "Batam",
                                                  "provinsi": "Kepri"},
         ["body", "name"]),
        (meetings, "post", "/api/v1/agencies", {"name": "RT 1", "kind": "rt", "puskesmas_id": worlds["puskesmas"],
                                                "contacts": [{"name": f"Budi{char}Santoso"}]},
         ["body", "contacts", 0, "name"]),
        (meetings, "post", "/api/v1/meetings", {"puskesmas_id": worlds["puskesmas"], "kind": "other", "title": "Rapat",
                                                "scheduled_at": "2026-03-01T09:00:00+07:00",
                                                "location": f"Aula{char}Lantai 2"}, ["body", "location"]),
        (meetings, "patch", f"/api/v1/follow-ups/{worlds['followup']}", {"title": f"Judul{char}Subject: x"},
         ["body", "title"]),
        (meetings, "put", f"/api/v1/meetings/{worlds['meeting']}/attendance",
         [{"agency_id": worlds["agency"], "person_name": f"Ani{char}Wati"}], ["body", 0, "person_name"]),
        (meetings, "post", f"/api/v1/follow-ups/{worlds['followup']}/cancel", {"reason": f"Batal{char}saja"},
         ["body", "reason"]),
        (indicators, "post", "/api/v1/areas", {"code": "22", "name": f"Kepri{char}Barat", "level": "provinsi"},
         ["body", "name"]),
        (notifications, "post", "/api/v1/subscriptions", {"agency_id": 1, "event_types": ["followup.*"],
                                                          "channel": "email", "target": f"a@b.id{char}Bcc: c@d.id"},
         ["body", "target"]),
    ]
    for api, method, url, body, loc in cases:
        r = getattr(api, method)(url, json=body)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.json()["detail"][0]["loc"] == loc, (url, r.text)


def test_multi_line_text_keeps_line_breaks_but_refuses_nul(worlds):
    api, meeting = worlds["meetings"], worlds["meeting"]
    notes = "Baris 1\nBaris 2\r\n\t-"
    r = api.post(f"/api/v1/meetings/{meeting}/agenda", json={"title": "Capaian D/S", "notes": notes})
    assert r.status_code == 201 and r.json()["notes"] == notes, r.text
    r = api.post(f"/api/v1/meetings/{meeting}/agenda", json={"title": "Capaian D/S", "notes": "a\x00b"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "notes"], r.text
    r = api.post(f"/api/v1/follow-ups/{worlds['followup']}/progress", json={"note": "Sudah\nberjalan", "percent": 10})
    assert r.status_code == 200, r.text


# --- the indicators' working area ---------------------------------------------------------


def test_a_puskesmas_token_without_an_area_cannot_report_values(worlds):
    api = worlds["indicators"]
    no_area = api.headers("puskesmas", puskesmas_id=1)
    row = {"indicator_code": "POSYANDU_DS", "area_code": "21", "period": "2026-01", "numerator": 1, "denominator": 2}
    csv_body = "indicator_code,area_code,period,numerator,denominator\nPOSYANDU_DS,21,2026-01,1,2\n"
    dhis2 = {"dataValues": [], "mapping": {}}
    answers = [api.post("/api/v1/values", json=[row], headers=no_area),
               api.post("/api/v1/import/csv", content=csv_body, headers={**no_area, "Content-Type": "text/csv"}),
               api.post("/api/v1/import/dhis2", json=dhis2, headers=no_area)]
    for r in answers:
        assert r.status_code == 403 and "wilayah kerja" in r.json()["detail"], r.text
    assert api.post("/api/v1/values", json=[row]).json()["accepted"] == 1  # an admin still may


def test_a_puskesmas_token_reports_only_within_its_area_on_every_path(worlds):
    api = worlds["indicators"]
    assert api.post("/api/v1/areas", json={"code": "21.71", "name": "Kota Batam", "level": "kota",
                                           "parent_code": "21"}).status_code == 201
    assert api.post("/api/v1/areas", json={"code": "22", "name": "Riau", "level": "provinsi"}).status_code == 201
    own = api.headers("puskesmas", puskesmas_id=1, area_code="21.71")
    r = api.post("/api/v1/values", json=[{"indicator_code": "POSYANDU_DS", "area_code": "22", "period": "2026-01",
                                          "numerator": 1, "denominator": 2}], headers=own)
    assert r.json()["accepted"] == 0 and r.json()["rejected"][0]["field"] == "area_code"
    csv_body = "indicator_code,area_code,period,numerator,denominator\nPOSYANDU_DS,22,2026-01,1,2\n"
    r = api.post("/api/v1/import/csv", content=csv_body, headers={**own, "Content-Type": "text/csv"})
    assert r.json()["accepted"] == 0 and r.json()["rejected"][0]["field"] == "area_code"
    dhis2 = {"dataValues": [{"dataElement": "d", "period": "202601", "orgUnit": "22", "value": "1"},
                            {"dataElement": "s", "period": "202601", "orgUnit": "22", "value": "2"}],
             "mapping": {"dataElements": {"d": {"indicator_code": "POSYANDU_DS", "part": "numerator"},
                                          "s": {"indicator_code": "POSYANDU_DS", "part": "denominator"}}}}
    r = api.post("/api/v1/import/dhis2", json=dhis2, headers=own)
    assert r.json()["accepted"] == 0 and r.json()["rejected"][0]["field"] == "area_code", r.text
    r = api.post("/api/v1/values", json=[{"indicator_code": "POSYANDU_DS", "area_code": "21.71", "period": "2026-01",
                                          "numerator": 1, "denominator": 2}], headers=own)
    assert r.json()["accepted"] == 1, r.text


# --- the database down ----------------------------------------------------------------------


def assert_unavailable(r) -> None:
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert " / " in r.json()["detail"]


@pytest.mark.parametrize("name, read, write", [
    ("meetings", "/api/v1/puskesmas", ("/api/v1/agencies", {"name": "RT 1", "kind": "rt"})),
    ("indicators", "/api/v1/areas", ("/api/v1/areas", {"code": "21", "name": "Kepri", "level": "provinsi"})),
    ("notifications", "/api/v1/subscriptions", ("/api/v1/subscriptions", {
        "agency_id": 1, "event_types": ["followup.*"], "channel": "email", "target": "a@b.id"})),
])
def test_an_unreachable_database_is_503_with_retry_after(monkeypatch, tmp_path, name, read, write):
    spec = get_service(name)
    unreachable = (f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone" if backend() == "postgresql"
                   else f"sqlite:///{tmp_path / 'no-such-dir' / 'gone.db'}")
    monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", unreachable)
    spec.settings.cache_clear()
    admin = {"Authorization": f"Bearer {create_token(os.environ['MINILOK_SECRET'], 'admin')}"}
    client = TestClient(spec.load(spec.app)())  # no lifespan: its start-up hooks would need the database
    try:
        assert_unavailable(client.get(read, headers=admin))
        assert_unavailable(client.post(write[0], json=write[1], headers=admin))
    finally:
        spec.settings.cache_clear()


@pytest.mark.skipif(backend() != "postgresql", reason="cuts a real PostgreSQL database's connections")
def test_a_database_that_goes_away_mid_run_is_503_and_comes_back(service_api):
    api = service_api("notifications")
    name = api.client.app.state.engine.url.database
    assert api.get("/api/v1/subscriptions").status_code == 200
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        try:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            assert_unavailable(api.get("/api/v1/subscriptions"))
            assert_unavailable(api.post("/api/v1/subscriptions", json={
                "agency_id": 1, "event_types": ["followup.*"], "channel": "email", "target": "a@b.id"}))
        finally:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()
    back = api.get("/api/v1/subscriptions")
    assert back.status_code == 200 and back.json()["items"] == []
