"""Small same-origin JSON answers behind the dashboard's pickers: areas and indicators found by
name, read from the indicators service with the signed-in user's own token (so the same rights
as the API), each item with the words a person reads ("Kelurahan", "Kepulauan Riau › Kota Batam")."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from minilok_shared import labels

from minilok_meetings.web import clients
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.session import web_user

router = APIRouter(include_in_schema=False)

MAX_SUGGESTIONS = 10


def _answer(body: dict, status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})


def area_item(area: dict, lang: str) -> dict:
    return {"code": area["code"], "name": area["name"], "level": area["level"],
            "level_label": labels.label("area_level", area["level"], lang),
            "path_name": area.get("path_name") or area["name"], "parent_code": area.get("parent_code")}


def find_areas(client: httpx.Client, q: str, home: str | None = None, limit: int = MAX_SUGGESTIONS) -> list[dict]:
    """Areas matching `q`, those beneath `home` (the puskesmas's working area) first, then the
    rest (the home area itself, its kota...); raises httpx.HTTPError when the service cannot be
    reached."""
    params = {"q": q, "limit": limit}
    found: list[dict] = []
    if home:
        beneath = client.get("/areas", params={**params, "parent": home})
        if beneath.status_code == 200:  # 404: the home area is not loaded there
            found = beneath.json()["items"]
    anywhere = client.get("/areas", params=params)
    if anywhere.status_code == 200:
        seen = {a["code"] for a in found}
        found += [a for a in anywhere.json()["items"] if a["code"] not in seen]
    return found[:limit]


@router.get("/pickers/areas")
def areas(request: Request, q: str = Query("", max_length=100), parent: str | None = Query(None, max_length=64)):
    """`{items: [{code, name, level, level_label, path_name}]}`, best match first (those beneath
    `parent` before the others)."""
    user = web_user(request)
    _ = translator(lang_of(request))
    if user is None:
        return _answer({"items": [], "error": _("Masuk dulu.", "Sign in first.")}, 401)
    if not q.strip():
        return _answer({"items": []})
    try:
        with clients.indicators(request, user) as client:
            items = find_areas(client, q, parent)
    except httpx.HTTPError:
        return _answer({"items": [], "error": _("Layanan indikator tidak terjangkau, coba lagi sebentar lagi.",
                                                "The indicators service cannot be reached; try again shortly.")}, 503)
    lang = lang_of(request)
    return _answer({"items": [area_item(a, lang) for a in items]})


def indicator_name(indicator: dict, lang: str) -> str:
    return (indicator.get("name_en") if lang == "en" else None) or indicator["name"]


@router.get("/pickers/indicators")
def indicators(request: Request, q: str = Query("", max_length=100)):
    """`{items: [{code, name}]}`: the catalogue's indicators whose name (or code) holds every word of `q`."""
    user = web_user(request)
    lang = lang_of(request)
    _ = translator(lang)
    if user is None:
        return _answer({"items": [], "error": _("Masuk dulu.", "Sign in first.")}, 401)
    try:
        with clients.indicators(request, user) as client:
            listed = client.get("/indicators", params={"limit": 200})
    except httpx.HTTPError:
        listed = None
    if listed is None or listed.status_code != 200:
        return _answer({"items": [], "error": _("Layanan indikator tidak terjangkau, coba lagi sebentar lagi.",
                                                "The indicators service cannot be reached; try again shortly.")}, 503)
    words = q.casefold().split()
    items = [{"code": i["code"], "name": indicator_name(i, lang)} for i in listed.json()["items"]]
    found = [i for i in items if all(w in f"{i['name']} {i['code']}".casefold() for w in words)]
    return _answer({"items": found[:50]})
