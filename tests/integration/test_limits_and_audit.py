"""Limits every service enforces (body size, rate per token, page size) and the audit log."""

from __future__ import annotations

import json
import re

import pytest

SERVICES = ("meetings", "notifications", "indicators")


def new_puskesmas(api, code="PA01") -> int:
    r = api.post("/api/v1/puskesmas", json={"code": code, "name": "Puskesmas Sekupang", "timezone": "Asia/Jakarta",
                                            "area_code": "21.71.01", "kota": "Kota Batam",
                                            "provinsi": "Kepulauan Riau"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_body_over_the_limit_is_413_declared_or_streamed(service_api, monkeypatch, service):
    monkeypatch.setenv("MAX_BODY_BYTES", "2000")
    api = service_api(service)
    big = json.dumps([{"filler": "x" * 100}] * 50)
    path = {"meetings": "/api/v1/puskesmas", "notifications": "/api/v1/subscriptions",
            "indicators": "/api/v1/values"}[service]
    r = api.post(path, content=big, headers={**api.admin, "content-type": "application/json"})
    assert r.status_code == 413 and "terlalu besar" in r.json()["detail"]

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(30):
            yield b"x" * 100

    r = api.post(path, content=chunks(), headers={**api.admin, "content-type": "application/json"})
    assert r.status_code == 413
    r = api.post(path, json={}, headers=api.admin)
    assert r.status_code != 413


def test_rate_limit_per_token_answers_429_with_retry_after(service_api, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "5")
    api = service_api("meetings")
    mine, other = api.headers("admin"), api.headers("admin")
    codes = [api.get("/api/v1/puskesmas", headers=mine).status_code for _ in range(5)]
    assert codes == [200] * 5
    r = api.get("/api/v1/puskesmas", headers=mine)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "Terlalu banyak permintaan" in r.json()["detail"]
    assert api.get("/api/v1/puskesmas", headers=other).status_code == 200  # another token, its own budget
    assert api.client.get("/health").status_code == 200  # probes are never limited


def test_rate_limit_zero_is_off(service_api, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "0")
    api = service_api("indicators")
    assert all(api.get("/api/v1/indicators").status_code == 200 for _ in range(30))


@pytest.mark.parametrize("service", SERVICES)
def test_every_list_caps_its_page_size(service_api, service):
    api = service_api(service)
    paths = api.client.app.openapi()["paths"]
    lists = [path for path, ops in paths.items() if "get" in ops and "{" not in path
             and any(p["name"] == "limit" for p in ops["get"].get("parameters", []))]
    assert lists
    required = {"/api/v1/effectiveness": {"indicator": "X", "area": "Y"},
                "/api/v1/outliers": {"indicator": "X", "area": "Y"}}
    for path in lists:
        params = required.get(path, {})
        for bad in (0, 201, 10_000):
            r = api.get(path, params={**params, "limit": bad})
            assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"], (path, bad, r.text)
        if path not in required:
            assert api.get(path, params={"limit": 200}).status_code == 200, path


def audit(api, **params) -> list[dict]:
    r = api.get("/api/v1/audit", params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_every_api_change_is_audited_with_who_when_before_and_after(service_api):
    api = service_api("meetings")
    pid = new_puskesmas(api)
    agency = api.post("/api/v1/agencies", json={"name": "Kelurahan Tanjung Riau", "kind": "kelurahan",
                                                "puskesmas_id": pid}).json()["id"]
    meeting = api.post("/api/v1/meetings", json={"puskesmas_id": pid, "kind": "monthly_internal", "title": "Lokmin",
                                                 "scheduled_at": "2026-03-02T09:00:00+07:00"}).json()["id"]
    followup = api.post(f"/api/v1/meetings/{meeting}/follow-ups", json={
        "title": "PSN serentak", "owner_agency_id": agency, "due_date": "2026-03-20"}).json()["id"]
    head = api.headers("puskesmas", puskesmas_id=pid, subject="kapus-sekupang")
    assert api.post(f"/api/v1/follow-ups/{followup}/start", headers=head).status_code == 200
    assert api.patch(f"/api/v1/follow-ups/{followup}", json={"priority": "high"}, headers=head).status_code == 200
    # A refused change leaves no trace: the audit row is in the change's own transaction.
    assert api.post(f"/api/v1/follow-ups/{followup}/reopen", json={"reason": "x"}).status_code == 409

    entries = audit(api, entity="followups", entity_id=str(followup))
    assert [e["action"] for e in entries] == ["update", "update", "insert"]  # newest first
    patched, started, created = entries
    assert created["after"]["status"] == "open" and created["before"] is None
    assert created["actor_role"] == "admin"
    assert started["actor"] == "kapus-sekupang" and started["actor_role"] == "puskesmas"
    assert started["before"]["status"] == "open" and started["after"]["status"] == "in_progress"
    assert patched["before"]["priority"] == "normal" and patched["after"]["priority"] == "high"
    assert all(re.match(r"\d{4}-\d\d-\d\dT", e["at"]) for e in entries)
    assert {e["entity"] for e in audit(api)} >= {"puskesmas", "agencies", "meetings", "followups"}
    assert api.get("/api/v1/audit", headers=head).status_code == 403


def test_audit_pages_and_never_copies_secrets(service_api, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "1")
    api = service_api("notifications")
    for _ in range(3):
        r = api.post("/api/v1/subscriptions", json={"agency_id": 7, "event_types": ["followup.*"],
                                                    "channel": "webhook", "target": "http://127.0.0.1:9/hook"})
        assert r.status_code == 201, r.text
    sub = r.json()["id"]
    assert api.post(f"/api/v1/subscriptions/{sub}/rotate-secret").status_code == 200
    first = api.get("/api/v1/audit", params={"entity": "subscriptions", "limit": 2}).json()
    second = api.get("/api/v1/audit", params={"entity": "subscriptions", "cursor": first["next_cursor"]}).json()
    entries = first["items"] + second["items"]
    assert len(entries) == 4 and second["next_cursor"] is None
    assert "whsec_" not in json.dumps(entries)
    secrets = [value for e in entries for key, value in (e["after"] or {}).items() if "secret" in key]
    assert secrets and set(secrets) <= {"[hidden]", None}
    rotated = entries[0]
    assert rotated["action"] == "update" and rotated["after"]["secret_encrypted"] == "[hidden]"
    assert api.get("/api/v1/audit", params={"cursor": "bm90LWEtbGlzdA"}).status_code == 422
