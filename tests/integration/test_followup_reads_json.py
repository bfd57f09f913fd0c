"""The lean read path: GET /follow-ups and /follow-ups/{id} answer, byte for byte, what FastAPI
made of Page[FollowUpOut] and FollowUpOut before they were encoded from rows with orjson."""

from __future__ import annotations

import json

from fastapi.encoders import jsonable_encoder
from minilok_meetings.schemas import FollowUpOut
from minilok_meetings.service_layer import followup_reads
from minilok_shared.auth import decode_token
from minilok_shared.pagination import Page
from pydantic import TypeAdapter

from tests.integration.test_meetings_followups import new_followup, setup_puskesmas


def as_fastapi_encoded(value, model) -> bytes:
    """What FastAPI's response_model path writes: serialize in JSON mode, then Starlette's JSONResponse."""
    plain = jsonable_encoder(TypeAdapter(model).dump_python(value, mode="json"))
    return json.dumps(plain, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


def test_list_and_get_bytes_match_the_validated_models(meetings_api):
    api = meetings_api
    ids = setup_puskesmas(api)
    plain = new_followup(api, ids, supporting_agency_ids=[])
    rich = new_followup(api, ids, title="Kunjungan rumah — ibu hamil risiko tinggi \u00e9", action="Kunjungi",
                        problem="Cakupan K4 rendah", supporting_agency_ids=[ids["school"], ids["rt"]],
                        objective="K4 naik", target_group="Ibu hamil", location="RW 03", success_indicator="K4 90%",
                        cost_estimate=1_500_000, funding_source="BOK", priority="high", area_code="64.71.05")
    late = new_followup(api, ids, due_at="2020-01-01T08:00:00+08:00")
    assert api.post(f"/api/v1/follow-ups/{rich['id']}/start").status_code == 200
    progress = api.post(f"/api/v1/follow-ups/{rich['id']}/progress", json={"note": "Separuh", "percent": 50})
    assert progress.status_code == 200

    admin = decode_token(api.client.app.state.settings.minilok_secret, api.headers("admin")["Authorization"][7:])
    with api.client.app.state.sessionmaker() as session:
        for params, limit in (({}, 50), ({}, 2), ({"overdue": True}, 50), ({"status_": "in_progress"}, 50)):
            page = followup_reads.find_followups(session, admin, limit=limit, **params)
            assert followup_reads.find_followups_json(session, admin, limit=limit, **params) == \
                as_fastapi_encoded(page, Page[FollowUpOut])
        for f in (plain, rich, late):
            one = followup_reads.fetch_followup(session, admin, f["id"])
            assert followup_reads.fetch_followup_json(session, admin, f["id"]) == as_fastapi_encoded(one, FollowUpOut)

    first = api.get("/api/v1/follow-ups", params={"limit": 2})
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    body = first.json()
    assert [i["id"] for i in body["items"]] == [late["id"], rich["id"]] and body["next_cursor"]
    rest = api.get("/api/v1/follow-ups", params={"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == [plain["id"]] and rest["next_cursor"] is None
    got = api.get(f"/api/v1/follow-ups/{rich['id']}").json()
    assert got["supporting_agency_ids"] == sorted([ids["school"], ids["rt"]]) and got["percent"] == 50
    assert got["cost_estimate"] == 1_500_000 and got["due_at"].endswith("+08:00")
    assert api.get("/api/v1/follow-ups/999999").status_code == 404
    assert api.get("/api/v1/follow-ups", params={"status": "nope"}).status_code == 422


def test_openapi_still_describes_the_answers(meetings_api):
    paths = meetings_api.get("/openapi.json").json()["paths"]
    listed = paths["/api/v1/follow-ups"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    one = paths["/api/v1/follow-ups/{followup_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("Page_FollowUpOut_") and one["$ref"].endswith("/FollowUpOut")
