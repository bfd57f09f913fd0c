"""The indicators page (`/indicators`): the PWS ranking of the child areas, the area's trend over
twelve months as inline SVG, and putting a lagging area on the next meeting's agenda (indicators
are read over HTTP from the indicators service, never from its database). The area and the
indicator are chosen by name (`web/pickers.py` answers the suggestions); `?area=21.71.06` still
works. Words follow the indicator's direction: a lower-is-better indicator is "di atas batas"
when it misses and "membaik ▼" when it falls."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from fastapi import APIRouter, Request
from minilok_shared import labels
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep
from minilok_shared.errors import forbidden, unprocessable
from minilok_shared.localtime import MONTHS, format_period

from minilok_meetings.domain.proposal import format_angka
from minilok_meetings.service_layer import dashboard_reads as reads
from minilok_meetings.service_layer import proposals
from minilok_meetings.web import clients, pickers
from minilok_meetings.web.forms import FormDep, int_or_none
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.indicator_quality import quality_figures
from minilok_meetings.web.render import action, page, redirect, render

router = APIRouter(include_in_schema=False)
router.include_router(pickers.router)

DEFAULT_INDICATOR = "POSYANDU_DS"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
LOWER_IS_BETTER = "lower_is_better"


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


def month_choices(period: str, today: date, lang: str = "id", count: int = 24) -> list[tuple[str, str]]:
    """The months a reader picks from, newest first, in words ("Februari 2026"): the last `count`
    up to last month, and the month asked for if it lies outside them."""
    months = months_up_to(previous_month(today), count)[::-1]
    if MONTH.match(period) and period not in months:
        months = sorted([*months, period], reverse=True)
    return [(m, format_period(m, lang)) for m in months]


def axis_label(period: str, lang: str = "id") -> str:
    """A month on the trend's axis with its year: "Mei '26" ("May '26"); other periods in words."""
    match = MONTH.match(period)
    if not match or not 1 <= int(match[2]) <= 12:
        return format_period(period, lang)
    return f"{MONTHS[lang if lang == 'en' else 'id'][int(match[2]) - 1][:3]} '{match[1][2:]}"


@dataclass(frozen=True)
class Words:
    text: str
    tone: str  # "good", "bad" or "none": the colour a reader sees


def target_words(meets_target: bool | None, direction: str, lang: str = "id") -> Words:
    """How a value stands against its target: a higher-is-better indicator is "memenuhi target" or
    "di bawah target"; a lower-is-better one (a limit: DBD incidence) "di bawah batas" or "di atas batas"."""
    _ = translator(lang)
    if meets_target is None:
        return Words(_("belum ada data", "no data"), "none")
    if direction == LOWER_IS_BETTER:
        return Words(_("di bawah batas", "under the limit"), "good") if meets_target else \
            Words(_("di atas batas", "over the limit"), "bad")
    return Words(_("memenuhi target", "meets the target"), "good") if meets_target else \
        Words(_("di bawah target", "below the target"), "bad")


def trend_words(trend: str | None, change: float | None, lang: str = "id") -> Words | None:
    """The change since the previous period: the word from the indicator's direction (the ranking's
    `trend`), the arrow from the number's own way ("membaik ▼" for a falling DBD incidence)."""
    _ = translator(lang)
    if trend is None:
        return None
    arrow = "▲" if change and change > 0 else "▼" if change and change < 0 else "–"
    if trend == "improving":
        return Words(f"{_('membaik', 'improving')} {arrow}", "good")
    if trend == "worsening":
        return Words(f"{_('memburuk', 'worsening')} {arrow}", "bad")
    return Words(f"{_('tetap', 'unchanged')} –", "none")


def split_ranking(items: list[dict]) -> tuple[list[dict], list[dict]]:
    """The areas with a value, ranked worst first from 1, and those without (never ranked: an area
    that reported nothing is neither the best nor the worst)."""
    ranked = [dict(item, rank=rank) for rank, item in enumerate((i for i in items if i.get("value") is not None), 1)]
    return ranked, [dict(item, rank=None) for item in items if item.get("value") is None]


def trend_chart(points: list[tuple[str, float | None]], target: float | None, lang: str = "id", width: int = 640,
                height: int = 180, targets: list[float | None] | None = None) -> dict:
    """Coordinates for an inline SVG line chart (the template draws it); months read "Mei '26".
    `targets` (one per point): a target that moves with the period (a cumulative indicator's
    target pro-rated to each month) drawn as a line of its own instead of a flat `target`."""
    moving = targets is not None and len({t for t in targets if t is not None}) > 1
    values = [v for _, v in points if v is not None] + ([target] if target is not None else [])
    if moving:
        values += [t for t in targets if t is not None]
    if not [v for _, v in points if v is not None]:
        return {"empty": True}
    # The axis starts near the lowest value (not at zero) so that a month-to-month change shows.
    low, high = min(values), max(values)
    top, bottom = high + (high - low) * 0.1, max(0.0, low - (high - low) * 0.3 - 1)
    span = (top - bottom) or 1.0
    pad, plot_w, plot_h = 36, width - 36 - 28, height - 40  # room for the last month's label
    step = plot_w / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return round(10 + plot_h * (1 - (v - bottom) / span), 1)

    dots = [{"x": round(pad + i * step, 1), "y": y(v), "label": format_period(label, lang), "value": format_angka(v)}
            for i, (label, v) in enumerate(points) if v is not None]
    return {"empty": False, "width": width, "height": height, "dots": dots,
            "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
            "target_y": y(target) if target is not None and not moving else None,
            "target_line": " ".join(f"{round(pad + i * step, 1)},{y(t)}" for i, t in enumerate(targets)
                                    if t is not None) if moving else None,
            "labels": [{"x": round(pad + i * step, 1), "text": axis_label(label, lang)}
                       for i, (label, _) in enumerate(points)],
            "top": format_angka(top), "top_y": y(top), "bottom": format_angka(bottom), "bottom_y": y(bottom)}


PWS_ORDER = ("baik", "kurang", "cukup", "jelek")


def bar_chart(items: list[dict], target: float | None, lang: str = "id", width: int = 360,
              row: int = 36) -> dict:
    """Coordinates for a server-rendered horizontal bar chart of the child areas (worst first)
    against the period's target line, each bar in its PWS colour and labelled with its value,
    the month's trend arrow and the status in words (so it reads in black and white on paper).
    360 units wide: at 390 px on a phone a unit is a pixel, wider screens scale it up."""
    shown = [i for i in items if i.get("value") is not None]
    if not shown:
        return {"empty": True}
    values = [i["value"] for i in shown] + [t for t in (target,) if t is not None]
    high = max(values) * 1.08 or 1.0
    plot = width - 96  # the rest holds "100 ▲ Baik"

    def x(v: float) -> float:
        return round(plot * max(v, 0.0) / high, 1)

    bars = []
    for n, item in enumerate(shown):
        change = item.get("change")
        arrow = "▲" if change and change > 0 else "▼" if change and change < 0 else "–" if change is not None else ""
        status = item.get("pws_status")
        bars.append({"name": item["name"], "y": n * row + 14, "bar_y": n * row + 18, "w": max(x(item["value"]), 1.5),
                     "status": status or "none", "value": format_angka(item["value"]),
                     "label_x": max(x(item["value"]), 1.5) + 4, "arrow": arrow,
                     "word": labels.label("pws_status", status, lang) if status else ""})
    height = len(shown) * row + 6
    return {"empty": False, "width": width, "height": height, "bars": bars,
            "target_x": x(target) if target is not None else None,
            "target": format_angka(target) if target is not None else None}


def pws_legend(lang: str = "id", direction: str = "higher_is_better") -> list[tuple[str, str, str]]:
    """(status, word, what it means) in the PWS legend's order, in the indicator's direction: for a
    lower-is-better indicator "mencapai target" is under the limit and "naik" (better) is a fall."""
    _ = translator(lang)
    if direction == LOWER_IS_BETTER:
        meaning = {
            "baik": _("di bawah batas, tidak naik dari periode lalu", "under the limit, not up on last period"),
            "kurang": _("di bawah batas, tetapi naik", "under the limit, but up"),
            "cukup": _("di atas batas, tetapi turun", "over the limit, but down"),
            "jelek": _("di atas batas, tidak turun", "over the limit, not down"),
        }
        return [(code, labels.label("pws_status", code, lang), meaning[code]) for code in PWS_ORDER]
    meaning = {
        "baik": _("mencapai target, tidak turun dari periode lalu", "on target, not down on last period"),
        "kurang": _("mencapai target, tetapi turun", "on target, but down"),
        "cukup": _("di bawah target, tetapi naik", "below target, but up"),
        "jelek": _("di bawah target, tidak naik", "below target, not up"),
    }
    return [(code, labels.label("pws_status", code, lang), meaning[code]) for code in PWS_ORDER]


class IndicatorsUnavailable(Exception):
    """The indicators service answered its catalogue with an error status."""


def place_of(area: dict) -> str:
    """ "Kepulauan Riau › Kota Batam › Batam Kota" from `GET /areas/{code}` (ancestors root first)."""
    return " › ".join([*(a["name"] for a in area.get("ancestors", [])), area["name"]])


def chosen_area(client: httpx.Client, code: str, typed: str, home: str | None) -> tuple[dict | None, list[dict], bool]:
    """The area the page is about, from its code (the URL, the picker) or, without one, the best
    match of the name typed (others offered as "did you mean"); and whether the indicators service
    knows the area at all (False: nothing was ever imported for it)."""
    others: list[dict] = []
    if code:
        answer = client.get(f"/areas/{code}")
        # Without the picker's script the code stays as the page had it: a name typed over it wins.
        if answer.status_code == 200 and typed and typed.casefold() != answer.json()["name"].casefold():
            code = ""
    if not code and typed:
        found = pickers.find_areas(client, typed, home)
        if not found:
            return None, [], True
        code, others = found[0]["code"], found[1:6]
        answer = client.get(f"/areas/{code}")
    if not code:
        return None, [], True
    if answer.status_code == 404:
        return {"code": code, "name": typed, "place": ""}, [], False
    if answer.status_code != 200:
        raise IndicatorsUnavailable(str(answer.status_code))
    area = answer.json()
    return {**area, "place": place_of(area)}, others, True


@router.get("/indicators")
@page
def indicators_page(request: Request, db: SessionDep, user):
    lang = lang_of(request)
    _ = translator(lang)
    q = request.query_params
    current, choices = reads.puskesmas_choice(db, user.principal, int_or_none(q.get("puskesmas_id")))
    home = current.area_code if current else None
    code = (q.get("area") or "").strip()
    typed = (q.get("area_q") or "").strip()
    if not code and not typed:
        code = home or ""
    period = (q.get("period") or previous_month(utcnow().date())).strip()
    context = {"current": current, "choices": choices, "area": None, "others": [], "period": period,
               "period_words": format_period(period, lang), "indicators": [], "ranked": [], "unranked": [],
               "rollup": None, "chart": {"empty": True}, "bars": {"empty": True}, "error": None, "indicator": None,
               "known_area": True,
               "no_data": False, "typed": typed, "on_agenda": {}, "home": home,
               "months": month_choices(period, utcnow().date(), lang)}
    try:
        with clients.indicators(request, user) as client:
            listed = client.get("/indicators", params={"limit": 200})
            if listed.status_code != 200:
                raise IndicatorsUnavailable(f"{listed.status_code}")
            indicators = [{**i, "label": pickers.indicator_name(i, lang)} for i in listed.json()["items"]]
            context["indicators"] = sorted(indicators, key=lambda i: i["label"].casefold())
            codes = [i["code"] for i in indicators]
            fallback = DEFAULT_INDICATOR if DEFAULT_INDICATOR in codes else codes[0] if codes else None
            wanted = q.get("indicator") or fallback
            context["indicator"] = next((i for i in indicators if i["code"] == wanted), None)
            area, context["others"], context["known_area"] = chosen_area(client, code, typed, home)
            context["area"] = area
            if context["indicator"] and area and context["known_area"]:
                fill_figures(client, context, context["indicator"], area, period, lang)
                context["quality"] = quality_figures(client, context["indicator"]["code"], area["code"], period)
    except (httpx.HTTPError, IndicatorsUnavailable):
        context["error"] = _("Layanan indikator tidak terjangkau; coba lagi sebentar lagi.",
                             "The indicators service cannot be reached; try again shortly.")
    context["no_data"] = bool(context["area"]) and not context["error"] and (
        not context["known_area"] or (not context["ranked"] and context["rollup"] is None))
    context["can_propose"] = bool(current) and user.principal.role in ("admin", "puskesmas")
    if context["can_propose"] and context["indicator"] and context["ranked"]:
        context["on_agenda"] = proposals.on_agenda(db, current.id, context["indicator"]["code"], period,
                                                   [r["area_code"] for r in context["ranked"]])
    direction = context["indicator"]["direction"] if context["indicator"] else "higher_is_better"
    unit = context["indicator"]["unit"] if context["indicator"] else None
    context["fmt"] = lambda v: "-" if v is None else format_angka(float(v))
    # "80%" but "10 per 100.000 penduduk".
    word = labels.label("indicator_unit", unit, lang) if unit else ""
    context["unit_word"] = word if word == "%" or not word else f" {word}"
    context["standing"] = lambda meets: target_words(meets, direction, lang)
    context["moved"] = lambda row: trend_words(row.get("trend"), row.get("change"), lang)
    context["legend"] = pws_legend(lang, direction)
    context["cumulative"] = bool(context["indicator"]) and context["indicator"].get("target_basis") == "cumulative"
    return render(request, "indicators.html", user, **context)


def fill_figures(client: httpx.Client, context: dict, indicator: dict, area: dict, period: str, lang: str) -> None:
    """The ranking of the area's children and the area's own trend over twelve months."""
    params = {"indicator": indicator["code"], "area": area["code"], "period": period}
    ranking = client.get("/ranking", params=params)
    if ranking.status_code == 200:
        context["ranked"], context["unranked"] = split_ranking(ranking.json()["items"])
    elif ranking.status_code == 422:
        context["error"] = translator(lang)("Periode tidak sesuai dengan indikator ini (bulanan, triwulan atau "
                                            "tahunan).", "The period does not fit this indicator (monthly, "
                                            "quarterly or yearly).")
        return
    rollups = [(p, client.get("/rollup", params={**params, "period": p})) for p in months_up_to(period)]
    found = [(p, r.json()) for p, r in rollups if r.status_code == 200]
    if found and any(r.get("value") is not None for _, r in found):
        context["rollup"] = latest = found[-1][1]
        context["chart"] = trend_chart([(p, r.get("value")) for p, r in found], latest.get("target_for_period",
                                       latest.get("target")), lang,
                                       targets=[r.get("target_for_period", r.get("target")) for _, r in found])
    if context["ranked"]:
        # The children against the period's target (the area's own; a child's own target, if it
        # has one, is in its row).
        line = context["rollup"].get("target_for_period") if context["rollup"] else \
            context["ranked"][0].get("target_for_period", context["ranked"][0].get("target"))
        context["bars"] = bar_chart(context["ranked"], line, lang)


@router.post("/indicators/propose")
@action("/indicators")
def propose(request: Request, form: FormDep, db: SessionDep, user):
    """Puts "<indicator> in <area> below target" (or above its limit) on the puskesmas's next open
    meeting, through a proposal, so that it is offered nowhere else."""
    _ = translator(lang_of(request))
    if user.principal.role not in ("admin", "puskesmas"):
        raise forbidden()
    current, _choices = reads.puskesmas_choice(db, user.principal, int_or_none(form.get("puskesmas_id")))
    if current is None:
        raise forbidden()
    meetings = reads.open_meetings(db, user.principal, current.id, utcnow())
    if not meetings:
        return _("Belum ada rapat yang terbuka; buat rapat dulu.", "No open meeting yet; schedule one first.")
    fields = proposal_fields(form)
    if not (fields["indicator_code"] and fields["area_code"] and fields["period"]):
        raise unprocessable("area_code", "pilih indikator, wilayah dan periode / choose the indicator, area and period")
    proposals.propose_from_indicators(db, user.principal, current.id, meetings[0].id, fields)
    return redirect(request, f"/meetings/{meetings[0].id}",
                    _("Diusulkan sebagai agenda rapat berikutnya.", "Proposed as an agenda item of the next meeting."))


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").replace(",", "."))
    except ValueError:
        return None


def proposal_fields(form) -> dict:
    """What `domain.proposal.proposal_title` and a proposal need, from the ranking row's form."""
    return {"indicator_code": (form.get("indicator") or "")[:64], "indicator_name": form.get("indicator_name"),
            "area_code": (form.get("area_code") or "")[:64], "area_name": form.get("area_name"),
            "period": (form.get("period") or "")[:16], "value": _number(form.get("value")),
            "target": _number(form.get("target")),
            "direction": LOWER_IS_BETTER if form.get("direction") == LOWER_IS_BETTER else "higher_is_better"}
