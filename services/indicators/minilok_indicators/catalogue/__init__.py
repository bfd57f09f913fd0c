"""The built-in indicator catalogue (catalogue.yaml, sources noted there) and its idempotent load."""

from __future__ import annotations

from pathlib import Path

import yaml
from minilok_shared.db import insert_on_conflict, utcnow
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_indicators.aggregates import rebuild
from minilok_indicators.api.schemas import IndicatorCreate
from minilok_indicators.models import Indicator

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")


def read_catalogue(path: Path = CATALOGUE_FILE) -> list[IndicatorCreate]:
    with open(path, encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    return TypeAdapter(list[IndicatorCreate]).validate_python(document["indicators"])


def upsert_indicators(session: Session, indicators: list[IndicatorCreate]) -> int:
    """Insert new indicators and update existing ones by code; running it twice changes nothing.
    An indicator whose denominator rule changed has its rollups recomputed."""
    now = utcnow()
    rows = [{**item.model_dump(), "created_at": now, "updated_at": now} for item in indicators]
    if not rows:
        return 0
    rules = dict(session.execute(select(Indicator.code, Indicator.denominator_aggregation)
                                 .where(Indicator.code.in_([row["code"] for row in rows]))).all())
    changed = [row["code"] for row in rows
               if row["code"] in rules and rules[row["code"]] != row["denominator_aggregation"]]
    statement = insert_on_conflict(session, Indicator.__table__).values(rows)
    updated = {c: statement.excluded[c] for c in rows[0] if c not in ("code", "created_at")}
    session.execute(statement.on_conflict_do_update(index_elements=["code"], set_=updated))
    if changed:
        rebuild(session, changed)
    return len(rows)
