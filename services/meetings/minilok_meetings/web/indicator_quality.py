"""The indicators page's data-quality block: how many reporting areas beneath the shown area
reported the period (and which did not), and the values flagged as outliers for it, read from
the indicators service's /completeness and /outliers."""

from __future__ import annotations

import httpx

from minilok_meetings.domain.proposal import format_angka

MISSING_SHOWN = 30  # names on the page; the count says how many more
OUTLIERS_SHOWN = 20


def quality_figures(client: httpx.Client, indicator: str, area: str, period: str) -> dict | None:
    """{"completeness": {...}, "outliers": [...], "more_outliers": bool} for the page, or None when
    the indicators service does not answer them (the rest of the page stands)."""
    params = {"indicator": indicator, "area": area, "period": period}
    done = client.get("/completeness", params={**params, "missing_limit": MISSING_SHOWN})
    flagged = client.get("/outliers", params={**params, "limit": OUTLIERS_SHOWN})
    if done.status_code != 200 or flagged.status_code != 200:
        return None
    completeness = done.json()
    if completeness["percent"] is not None:
        completeness["percent_words"] = {"id": format_angka(completeness["percent"]),
                                         "en": format_angka(completeness["percent"]).replace(",", ".")}
    completeness["more_missing"] = completeness["missing_count"] - len(completeness["missing_areas"])
    page = flagged.json()
    outliers = [{**o, "value_words": format_angka(o["value"]), "median_words": format_angka(o["median"]),
                 "higher": o["value"] > o["median"]} for o in page["items"]]
    return {"completeness": completeness, "outliers": outliers, "more_outliers": page["next_cursor"] is not None}
