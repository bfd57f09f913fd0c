"""Did the follow-ups move the indicator? Each completed follow-up linked to an indicator and an
area (or one beneath it), with the rollup of its area in the period before and after completion."""

from __future__ import annotations

from minilok_shared.pagination import decode_cursor, encode_cursor
from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_indicators.dialect import descendant_filter, dialect_name
from minilok_indicators.domain.periods import period_containing
from minilok_indicators.domain.rollup import rollup_value, trend
from minilok_indicators.models import Area, FollowUpCompletion, Indicator
from minilok_indicators.service_layer.areas import area_or_404
from minilok_indicators.service_layer.catalogue import indicator_or_404
from minilok_indicators.service_layer.rollups import totals_of


def completions_under(session: Session, indicator: Indicator, area: Area, limit: int, before_id: int | None):
    query = (
        select(FollowUpCompletion, Area)
        .join(Area, Area.code == FollowUpCompletion.area_code)
        .where(FollowUpCompletion.indicator_code == indicator.code,
               descendant_filter(dialect_name(session), Area.path, area.path))
        .order_by(FollowUpCompletion.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(FollowUpCompletion.id < before_id)
    return session.execute(query).all()


def effect(session: Session, indicator: Indicator, completion: FollowUpCompletion, area: Area) -> dict:
    completed = completion.completed_at
    during = period_containing(completed.year, completed.month, indicator.period_type)
    before, after = during.previous(), during.next()

    def value_in(period):
        return rollup_value(totals_of(session, indicator, period, [area.code])[area.code], indicator.factor,
                            indicator.unit)

    value_before, value_after = value_in(before), value_in(after)
    return {
        "id": completion.id,
        "followup_id": completion.followup_id,
        "puskesmas_id": completion.puskesmas_id,
        "title": completion.title,
        "area_code": area.code,
        "area_name": area.name,
        "completed_at": completed,
        "period_before": str(before),
        "value_before": value_before,
        "period_after": str(after),
        "value_after": value_after,
        "change": None if value_before is None or value_after is None else value_after - value_before,
        "trend": trend(value_after, value_before, indicator.direction),
    }


def effectiveness_page(session: Session, indicator_code: str, area_code: str, limit: int,
                       cursor: str | None) -> dict:
    """A page of completed follow-ups on the indicator under the area, newest first, each with
    the area's value before and after."""
    indicator = indicator_or_404(session, indicator_code)
    area = area_or_404(session, area_code)
    before_id = decode_cursor(cursor)[0] if cursor else None
    rows = completions_under(session, indicator, area, limit + 1, before_id)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [effect(session, indicator, completion, where) for completion, where in rows],
            "next_cursor": encode_cursor([rows[-1][0].id]) if more else None}
