"""Cursor pagination: every list answers {"items": [...], "next_cursor": "..." | null}."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi import HTTPException, Query
from pydantic import BaseModel

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(values, list):
            raise ValueError
        return values
    except ValueError as exc:
        raise HTTPException(422, [{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}]) from exc


def keyset_page(rows: Sequence[Any], limit: int, key: Callable[[Any], list[Any]] = lambda row: [row.id]) -> Page:
    """Rows fetched with `limit + 1` (the extra one says whether there is more): the page, and the
    cursor that continues after its last row."""
    more = len(rows) > limit
    items = list(rows[:limit])
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more else None)


LimitQuery = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size (1-200)")
