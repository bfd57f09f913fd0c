"""Request and response bodies. Validation here gives the 422s that name the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from minilok_shared.validation import MultiLine, SingleLine
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from minilok_indicators.domain.hierarchy import NATIONAL
from minilok_indicators.domain.units import DEFAULT_FACTORS

Level = Literal["provinsi", "kota", "kecamatan", "kelurahan", "desa", "rw", "rt", "posyandu"]
Unit = Literal["percent", "per_100k", "per_1000", "count", "ratio"]
Direction = Literal["higher_is_better", "lower_is_better"]
PeriodType = Literal["monthly", "quarterly", "yearly"]
DenominatorAggregation = Literal["sum", "mean"]
TargetBasis = Literal["period", "cumulative"]

Code = Annotated[SingleLine, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")]
Name = Annotated[SingleLine, Field(min_length=1, max_length=200)]
# Counts of people, houses or cases: far below 10^12, which keeps every sum and ratio finite.
Count = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaCreate(Strict):
    code: Code
    name: Name
    level: Level
    parent_code: Code | None = None

    @field_validator("code")
    @classmethod
    def not_national(cls, code: str) -> str:
        if code == NATIONAL:
            raise ValueError(f"kode {NATIONAL} dicadangkan untuk nasional / code {NATIONAL} is reserved for the nation")
        return code


class AreaSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    level: str
    parent_code: str | None


class AreaOut(AreaSummary):
    path: str
    depth: int
    created_at: datetime


class AreaListed(AreaOut):
    """An area of a list or a search, with its readable place from the root down."""
    path_name: str = Field(description='ancestors\' names and its own: "Kepulauan Riau › Kota Batam › Batam Kota"')


class AreaDetail(AreaOut):
    ancestors: list[AreaSummary]
    children: list[AreaSummary]


class BulkAreasOut(BaseModel):
    created: int
    items: list[AreaOut]


class IndicatorCreate(Strict):
    code: Code
    name: Annotated[SingleLine, Field(min_length=1, max_length=300)]
    name_en: Annotated[SingleLine, Field(min_length=1, max_length=300)] | None = None
    unit: Unit
    factor: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    target: Annotated[float, Field(allow_inf_nan=False)] | None = None
    direction: Direction
    period_type: PeriodType
    denominator_aggregation: DenominatorAggregation = "sum"
    target_basis: TargetBasis = Field("period", description=(
        '"period": each period\'s value against the target; "cumulative": the coverage of a yearly sasaran '
        'from January to the period\'s end against target × m/12 (PWS)'))
    numerator_label: Annotated[SingleLine, Field(max_length=300)] | None = None
    denominator_label: Annotated[SingleLine, Field(max_length=300)] | None = None
    source: Annotated[MultiLine, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def default_factor(self):
        if self.factor is None:
            self.factor = DEFAULT_FACTORS[self.unit]
        return self


class IndicatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    name_en: str | None
    unit: str
    factor: float
    target: float | None
    direction: str
    period_type: str
    denominator_aggregation: str
    target_basis: str
    numerator_label: str | None
    denominator_label: str | None
    source: str | None


class ValueIn(Strict):
    indicator_code: Code
    area_code: Code
    period: Annotated[SingleLine, Field(min_length=4, max_length=7)]
    numerator: Count
    denominator: Count | None = None
    value: Count | None = None


class Rejected(BaseModel):
    index: int
    field: str | None = None
    detail: str


class IngestOut(BaseModel):
    accepted: int
    rejected: list[Rejected]


class TargetIn(Strict):
    target: float = Field(allow_inf_nan=False)


class TargetOut(Strict):
    indicator_code: str
    area_code: str
    target: float
