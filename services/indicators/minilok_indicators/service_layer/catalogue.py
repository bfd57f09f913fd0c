"""The indicator catalogue: adding and reading indicators, and the idempotent load of the built-in
catalogue (data/catalogue.yaml, sources noted there)."""

from __future__ import annotations

from pathlib import Path

import yaml
from minilok_shared.db import insert_on_conflict, utcnow
from minilok_shared.errors import conflict, not_found
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from minilok_indicators.models import Indicator
from minilok_indicators.schemas import IndicatorCreate
from minilok_indicators.service_layer.aggregates import rebuild

CATALOGUE_FILE = Path(__file__).parent.parent / "data" / "catalogue.yaml"


def read_catalogue(path: Path = CATALOGUE_FILE) -> list[IndicatorCreate]:
    with open(path, encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    return TypeAdapter(list[IndicatorCreate]).validate_python(document["indicators"])


def upsert_indicators(session: Session, indicators: list[IndicatorCreate]) -> int:
    """Insert new indicators and update existing ones by code; running it twice changes nothing.
    An indicator whose denominator rule changed has its rollups recomputed; one whose rule or
    target basis changed has its below-target state re-evaluated quietly."""
    now = utcnow()
    rows = [{**item.model_dump(), "created_at": now, "updated_at": now} for item in indicators]
    if not rows:
        return 0
    stored = {code: (rule, basis) for code, rule, basis in session.execute(
        select(Indicator.code, Indicator.denominator_aggregation, Indicator.target_basis)
        .where(Indicator.code.in_([row["code"] for row in rows]))).all()}
    changed = [row["code"] for row in rows
               if row["code"] in stored and stored[row["code"]][0] != row["denominator_aggregation"]]
    rebased = [row["code"] for row in rows
               if row["code"] in stored and stored[row["code"]][1] != row["target_basis"]]
    statement = insert_on_conflict(session, Indicator.__table__).values(rows)
    updated = {c: statement.excluded[c] for c in rows[0] if c not in ("code", "created_at")}
    session.execute(statement.on_conflict_do_update(index_elements=["code"], set_=updated))
    if changed:
        rebuild(session, changed)
    if changed or rebased:
        # The verdicts against the new rule, without events: an import over the same values
        # afterwards emits nothing that already went out.
        from minilok_indicators.service_layer.targets import reevaluate_quietly
        reevaluate_quietly(session, sorted({*changed, *rebased}))
    return len(rows)


def indicator_or_404(session: Session, code: str) -> Indicator:
    indicator = session.get(Indicator, code)
    if indicator is None:
        raise not_found("Indikator / indicator", code)
    return indicator


def create_indicator(session: Session, item: IndicatorCreate) -> Indicator:
    """A new indicator (not yet committed); 409 when the code is taken."""
    if session.get(Indicator, item.code) is not None:
        raise conflict(f"Kode indikator {item.code} sudah ada / indicator code already exists")
    indicator = Indicator(**item.model_dump())
    session.add(indicator)
    return indicator


def list_indicators(session: Session, limit: int, cursor: str | None) -> Page:
    query = select(Indicator).order_by(Indicator.code)
    if cursor:
        (after,) = decode_cursor(cursor, (str,))
        query = query.where(Indicator.code > after)
    return keyset_page(session.scalars(query.limit(limit + 1)).all(), limit, key=lambda row: [row.code])
