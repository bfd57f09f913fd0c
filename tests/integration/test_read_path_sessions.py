"""The hot reads (GET /follow-ups, GET /follow-ups/{id}) open their session themselves
(`minilok_shared.deps.read_with_session`) in autocommit, give every connection back, and still
answer 401/403/404/422 as before; the app freezes its start-up heap for the garbage collector."""

from __future__ import annotations

import gc

from sqlalchemy import event

from tests.integration.test_meetings_followups import new_followup, setup_puskesmas


def test_list_and_get_read_in_autocommit_and_give_the_connection_back(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    first = new_followup(api, ids)
    second = new_followup(api, ids, title="Kelas ibu hamil")
    engine = api.client.app.state.engine
    seen: list[tuple[str, object]] = []

    def record(conn, _cursor, statement, _params, _context, _many):
        if "FROM followups" in statement:
            seen.append((statement, conn.get_execution_options().get("isolation_level")))

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = api.get("/api/v1/follow-ups", params={"limit": 1})
        assert page.status_code == 200, page.text
        assert [i["id"] for i in page.json()["items"]] == [second["id"]]
        rest = api.get("/api/v1/follow-ups", params={"limit": 1, "cursor": page.json()["next_cursor"]}).json()
        assert [i["id"] for i in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
        one = api.get(f"/api/v1/follow-ups/{first['id']}")
        assert one.status_code == 200 and one.json()["title"] == first["title"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 3 and all(level == "AUTOCOMMIT" for _, level in seen), seen
    assert engine.pool.checkedout() == 0

    # A write after the reads: the pooled connection is back in its transactional mode.
    started = api.post(f"/api/v1/follow-ups/{first['id']}/start")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert api.get(f"/api/v1/follow-ups/{first['id']}").json()["status"] == "in_progress"
    assert engine.pool.checkedout() == 0


def test_the_hot_reads_still_refuse_as_before(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    f = new_followup(api, ids)
    assert api.get("/api/v1/follow-ups", headers={}).status_code == 401
    assert api.get(f"/api/v1/follow-ups/{f['id']}", headers={"Authorization": "Bearer nope"}).status_code == 401
    other = api.headers("puskesmas", puskesmas_id=ids["puskesmas"] + 1000)
    assert api.get(f"/api/v1/follow-ups/{f['id']}", headers=other).status_code == 403
    assert api.get("/api/v1/follow-ups", headers=other).json() == {"items": [], "next_cursor": None}
    assert api.get("/api/v1/follow-ups/99999999").status_code == 404
    refused = (({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"overdue": "maybe"}, "overdue"),
               ({"puskesmas_id": "x"}, "puskesmas_id"), ({"due_before": "2026-01-01T00:00:00"}, "due_before"))
    for params, name in refused:
        r = api.get("/api/v1/follow-ups", params=params)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", name], (params, r.text)
    assert api.get("/api/v1/follow-ups", params={"status": "nope"}).status_code == 422
    # Unknown parameters are ignored, as they were when each filter was a parameter of its own.
    assert api.get("/api/v1/follow-ups", params={"colour": "red"}).status_code == 200
    assert api.client.app.state.engine.pool.checkedout() == 0


def test_start_up_heap_is_frozen_for_the_collector(meetings_api):
    assert meetings_api.get("/health").status_code == 200
    assert gc.get_freeze_count() > 10_000
