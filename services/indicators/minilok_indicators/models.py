"""The indicators service's tables.

Areas carry a materialised path ("/21/21.71/21.71.06/"): all descendants of an area are the rows
whose path starts with its path, one range scan on an index (see `dialect.descendant_filter`).
"""

from __future__ import annotations

from datetime import datetime

from minilok_shared.db import BigId, UTCDateTime, new_metadata, utcnow
from minilok_shared.tables import service_tables
from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: UTCDateTime}


outbox, inbox, audit_log, idempotency_keys, revoked_tokens = service_tables(metadata)


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (
        # text_pattern_ops lets PostgreSQL use the index for `path LIKE '/21/21.71/%'` whatever the
        # database collation; SQLite reads the same index with a range on the binary collation.
        Index("ix_areas_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
        Index("ix_areas_parent_code", "parent_code", "code"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    path: Mapped[str] = mapped_column(String(1024))
    depth: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The name's words, normalised and joined by spaces (`domain.names`): how a search ranks a
    # whole-name or name-prefix match above a match of a later word.
    search_name: Mapped[str | None] = mapped_column(String(200))


class AreaWord(Base):
    """One word of an area's name (`domain.names.name_words`): a name search is a prefix range on
    `ix_area_words_word` per word asked, whatever the number of areas (84,000 desa/kelurahan)."""

    __tablename__ = "area_words"
    # text_pattern_ops: PostgreSQL uses the index for `word LIKE 'bat%'` whatever the collation
    # (SQLite reads it as a range on the binary order, see `dialect.starts_with`).
    __table_args__ = (Index("ix_area_words_word", "word", "area_code", postgresql_ops={"word": "text_pattern_ops"}),)

    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code", ondelete="CASCADE"), primary_key=True)
    word: Mapped[str] = mapped_column(String(100), primary_key=True)


class Indicator(Base):
    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(16))
    factor: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(20))
    period_type: Mapped[str] = mapped_column(String(10))
    # How a denominator adds up over time: "sum" for flows (toddlers weighed each month),
    # "mean" for stocks (population, yearly target group), so that a year's incidence rate is
    # the year's cases over the population, not over twelve times the population.
    denominator_aggregation: Mapped[str] = mapped_column(String(8), default="sum")
    # "period": each period's value against the target; "cumulative": coverage of a yearly
    # sasaran, January..m summed and compared with target x m / 12 (PWS KIA practice).
    target_basis: Mapped[str] = mapped_column(String(16), default="period", server_default="period")
    numerator_label: Mapped[str | None] = mapped_column(String(300))
    denominator_label: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IndicatorValue(Base):
    """One reported value: an indicator for one area and one period of the indicator's type."""

    __tablename__ = "indicator_values"

    # Rollups read one indicator and period over many areas: that is the key's order. No foreign
    # keys (migration 0008): every value comes through `ingest_values`, which rejects an unknown
    # indicator or area by name, and neither is ever deleted; the checks cost a bulk import two
    # key lookups per row, more than half of its upsert.
    indicator_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    numerator: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AreaRollup(Base):
    """The totals of every value in an area's subtree for one indicator and period, kept up to
    date on ingest (see `aggregates`); "ID" holds the whole country."""

    __tablename__ = "area_rollups"

    indicator_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    numerator: Mapped[float] = mapped_column(Float)
    # Sum of the areas' denominators ("mean" ones averaged over time within each area first);
    # meaningful only when denominator_reports > 0.
    denominator: Mapped[float] = mapped_column(Float)
    denominator_reports: Mapped[int] = mapped_column(Integer)  # values with a denominator
    reports: Mapped[int] = mapped_column(Integer)  # values in all


class AreaTarget(Base):
    """A target for one area that overrides the indicator's own (a kota's RPJMD differs)."""

    __tablename__ = "area_targets"

    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True)
    target: Mapped[float] = mapped_column(Float)


class TargetStatus(Base):
    """Whether a rollup is below target, so that below_target and recovered are emitted once each."""

    __tablename__ = "target_status"

    indicator_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    below: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[float | None] = mapped_column(Float)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ValueOutlier(Base):
    """A reported value far from its area's own history (modified z-score over the last 12
    periods above 3.5, Iglewicz and Hoaglin), flagged on import and listed by GET /outliers."""

    __tablename__ = "value_outliers"
    __table_args__ = (Index("ix_value_outliers_period", "indicator_code", "period"),)

    indicator_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    value: Mapped[float] = mapped_column(Float)
    median: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUpCompletion(Base):
    """A follow-up completed in the meetings service (from `followup.completed`), kept to compare
    the indicator before and after."""

    __tablename__ = "followup_completions"
    __table_args__ = (Index("ix_followup_completions_indicator_area", "indicator_code", "area_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    followup_id: Mapped[str] = mapped_column(String(64), index=True)
    puskesmas_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    area_code: Mapped[str | None] = mapped_column(String(64))
    indicator_code: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
