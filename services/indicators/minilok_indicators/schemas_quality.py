"""Response bodies of the data-quality reads: completeness and outliers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class MissingArea(BaseModel):
    code: str
    name: str


class CompletenessOut(BaseModel):
    indicator_code: str
    area_code: str
    period: str
    level: str | None  # the reporting areas' level when they share one ("kelurahan"), else None
    expected: int
    reported: int
    percent: float | None  # None when there is no reporting area
    missing: list[str]  # area codes, in code order, at most `missing_limit`
    missing_areas: list[MissingArea]  # the same with names, for pages
    missing_count: int  # all missing ones, however many are listed


class OutlierOut(BaseModel):
    indicator_code: str
    period: str
    area_code: str
    area_name: str
    value: float
    median: float
    score: float  # modified z-score; +/-1e9 when the history's MAD is 0
    flagged_at: datetime


class OutlierPage(BaseModel):
    items: list[OutlierOut]
    next_cursor: str | None = None
