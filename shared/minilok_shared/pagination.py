"""Cursor pagination: every list answers {"items": [...], "next_cursor": "..." | null}."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from fastapi import HTTPException, Query
from pydantic import BaseModel

from minilok_shared.validation import checked_instant, single_line

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} in a cursor")


def _checked(value: Any, kind: type) -> Any:
    if kind is int:
        # A 64-bit id, as every table's keys are: SQLite overflows and PostgreSQL refuses beyond.
        if type(value) is not int or not -(2**63) <= value < 2**63:
            raise ValueError("not a 64-bit integer")
        return value
    if type(value) is not str or len(value) > 1000:
        raise ValueError("not a short string")
    single_line(value)
    value.encode("utf-8")  # a lone surrogate cannot be sent to the database
    if kind is datetime:
        return checked_instant(datetime.fromisoformat(value))
    return value


def decode_cursor(cursor: str, kinds: tuple[type, ...] = (int,)) -> list[Any]:
    """The values `encode_cursor` wrote, one per type in `kinds` (int: an id; str; datetime: an
    ISO instant, returned parsed). Anything else is a 422 naming `cursor`, never a 500 later."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded), parse_constant=_refuse_constant)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong number of values")
        return [_checked(value, kind) for value, kind in zip(values, kinds, strict=True)]
    except (ValueError, RecursionError) as exc:
        raise HTTPException(422, [{"loc": ["query", "cursor"], "msg": "cursor tidak sah / invalid cursor",
                                   "type": "value_error"}]) from exc


def keyset_slice(rows: Sequence[Any], limit: int,
                 key: Callable[[Any], list[Any]] = lambda row: [row.id]) -> tuple[list[Any], str | None]:
    """Rows fetched with `limit + 1` (the extra one says whether there is more): the page's rows,
    and the cursor that continues after its last row."""
    items = list(rows[:limit])
    return items, encode_cursor(key(items[-1])) if len(rows) > limit else None


def keyset_page(rows: Sequence[Any], limit: int, key: Callable[[Any], list[Any]] = lambda row: [row.id]) -> Page:
    """`keyset_slice` as a Page."""
    items, next_cursor = keyset_slice(rows, limit, key)
    return Page(items=items, next_cursor=next_cursor)


LimitQuery = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size (1-200)")
