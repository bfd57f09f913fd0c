"""The indicators page (`/indicators`): the PWS ranking of the child areas, the area's trend over
twelve months as inline SVG, and putting a lagging area on the next meeting's agenda (indicators
are read over HTTP from the indicators service, never from its database)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
from fastapi import APIRouter, Request
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep
from minilok_shared.errors import forbidden

from minilok_meetings.domain.proposal import format_angka
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import minutes
from minilok_meetings.web import clients, forms
from minilok_meetings.web.forms import FormDep, int_or_none
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, page, redirect, render

router = APIRouter(include_in_schema=False)

DEFAULT_INDICATOR = "POSYANDU_DS"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def months_up_to(period: str, count: int = 12) -> list[str]:
    match = MONTH.match(period)
    if not match:
        return [period]
    year, month = int(match[1]), int(match[2])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def trend_chart(points: list[tuple[str, float | None]], target: float | None, width: int = 640,
                height: int = 180) -> dict:
    """Coordinates for an inline SVG line chart (the template draws it)."""
    values = [v for _, v in points if v is not None] + ([target] if target is not None else [])
    if not values:
        return {"empty": True}
    # The axis starts near the lowest value (not at zero) so that a month-to-month change shows.
    low, high = min(values), max(values)
    top, bottom = high + (high - low) * 0.1, max(0.0, low - (high - low) * 0.3 - 1)
    span = (top - bottom) or 1.0
    pad, plot_w, plot_h = 36, width - 48, height - 40
    step = plot_w / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return round(10 + plot_h * (1 - (v - bottom) / span), 1)

    dots = [{"x": round(pad + i * step, 1), "y": y(v), "label": label, "value": format_angka(v)}
            for i, (label, v) in enumerate(points) if v is not None]
    return {"empty": False, "width": width, "height": height, "dots": dots,
            "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
            "target_y": y(target) if target is not None else None,
            "labels": [{"x": round(pad + i * step, 1), "text": label[5:] if MONTH.match(label) else label}
                       for i, (label, _) in enumerate(points)],
            "top": format_angka(top), "top_y": y(top), "bottom": format_angka(bottom), "bottom_y": y(bottom)}


class IndicatorsUnavailable(Exception):
    """The indicators service answered its catalogue with an error status."""


@router.get("/indicators")
@page
def indicators_page(request: Request, db: SessionDep, user):
    _ = translator(lang_of(request))
    q = request.query_params
    current, choices = reads.puskesmas_choice(db, user.principal, int_or_none(q.get("puskesmas_id")))
    area = (q.get("area") or (current.area_code if current else "")).strip()
    period = (q.get("period") or previous_month(utcnow().date())).strip()
    context = {"current": current, "choices": choices, "area": area, "period": period, "indicators": [],
               "ranking": None, "rollup": None, "chart": {"empty": True}, "error": None, "indicator": None}
    try:
        with clients.indicators(request, user) as client:
            listed = client.get("/indicators", params={"limit": 200})
            if listed.status_code != 200:
                raise IndicatorsUnavailable(f"{listed.status_code}")
            indicators = listed.json()["items"]
            context["indicators"] = indicators
            codes = [i["code"] for i in indicators]
            fallback = DEFAULT_INDICATOR if DEFAULT_INDICATOR in codes else codes[0] if codes else None
            code = q.get("indicator") or fallback
            context["indicator"] = next((i for i in indicators if i["code"] == code), None)
            if context["indicator"] and area:
                params = {"indicator": code, "area": area, "period": period}
                ranking = client.get("/ranking", params=params)
                if ranking.status_code == 200:
                    context["ranking"] = ranking.json()
                else:
                    context["error"] = f"{ranking.status_code}: {clients.error_detail(ranking)}"
                rollups = [(p, client.get("/rollup", params={**params, "period": p})) for p in months_up_to(period)]
                found = [(p, r.json()) for p, r in rollups if r.status_code == 200]
                if found:
                    context["rollup"] = found[-1][1]
                    context["chart"] = trend_chart([(p, r.get("value")) for p, r in found], found[-1][1].get("target"))
    except (httpx.HTTPError, IndicatorsUnavailable) as exc:
        context["error"] = _("Layanan indikator tidak terjangkau", "The indicators service is unreachable") + \
            f" ({type(exc).__name__} {exc})"
    context["can_propose"] = bool(current) and user.principal.role in ("admin", "puskesmas")
    context["fmt"] = lambda v: "-" if v is None else format_angka(float(v))
    return render(request, "indicators.html", user, **context)


@router.post("/indicators/propose")
@action("/indicators")
def propose(request: Request, form: FormDep, db: SessionDep, user):
    """Adds "<indicator> in <area> below target" to the puskesmas's next open meeting."""
    _ = translator(lang_of(request))
    if user.principal.role not in ("admin", "puskesmas"):
        raise forbidden()
    puskesmas_id = int_or_none(form.get("puskesmas_id"))
    current, _choices = reads.puskesmas_choice(db, user.principal, puskesmas_id)
    if current is None:
        raise forbidden()
    meetings = reads.open_meetings(db, user.principal, current.id, utcnow())
    if not meetings:
        return _("Belum ada rapat yang terbuka; buat rapat dulu.", "No open meeting yet; schedule one first.")
    minutes.add_agenda_item(db, user.principal, meetings[0].id, forms.indicator_agenda_item(form))
    return redirect(request, f"/meetings/{meetings[0].id}",
                    _("Diusulkan sebagai agenda rapat berikutnya.", "Proposed as an agenda item of the next meeting."))
