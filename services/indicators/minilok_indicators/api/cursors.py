"""One-value cursors on top of the shared encoding, checked so a forged cursor is a 422, not a 500."""

from __future__ import annotations

from minilok_shared.errors import unprocessable
from minilok_shared.pagination import decode_cursor


def cursor_value(cursor: str, kind: type):
    values = decode_cursor(cursor)
    if len(values) != 1 or type(values[0]) is not kind:
        raise unprocessable("cursor", "cursor tidak sah / invalid cursor", where="query")
    return values[0]
