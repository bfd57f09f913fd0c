"""Input types every service's schemas share, and the guard that refuses JSON no parser should accept."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import AfterValidator, AwareDatetime
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Far enough from datetime's own limits (years 1 and 9999) that the services' arithmetic (working
# days, local time, repeats) never overflows, and wide enough for any real meeting or deadline.
MIN_YEAR, MAX_YEAR = 1900, 2999

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def single_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("tidak boleh berisi karakter kontrol atau baris baru / "
                         "must not contain control characters or line breaks")
    return value


def multi_line(value: str) -> str:
    if "\x00" in value:
        raise ValueError("tidak boleh berisi karakter NUL / must not contain NUL characters")
    return value


def _in_range(value: date) -> date:
    # The year as written: a local time within it stays within datetime's range in UTC too.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"tahun harus antara {MIN_YEAR} dan {MAX_YEAR} / "
                         f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def checked_instant(value: datetime) -> datetime:
    """An aware datetime within the supported years (for values that do not pass through pydantic)."""
    if value.tzinfo is None:
        raise ValueError("zona waktu wajib / a timezone is required")
    return _in_range(value)


SingleLine = Annotated[str, AfterValidator(single_line)]
"""Titles, names, codes, places, reasons: no control characters, no line breaks."""
MultiLine = Annotated[str, AfterValidator(multi_line)]
"""Notes, summaries, descriptions: line breaks allowed, NUL refused."""
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""A point in time with its offset, between MIN_YEAR and MAX_YEAR."""
Day = Annotated[date, AfterValidator(_in_range)]
"""A calendar date between MIN_YEAR and MAX_YEAR."""


class _Constant:
    """NaN, Infinity or -Infinity as the JSON parser met them."""

    def __init__(self, name: str):
        self.name = name


# What a body must contain for the guard to parse it at all: most bodies are passed on unread.
_SUSPECT = re.compile(rb"NaN|Infinity|\\u[dD][89a-fA-F]")


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode()


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_problem(body: bytes) -> dict[str, Any] | None:
    """The first NaN/Infinity literal or lone surrogate in a JSON body, as a FastAPI-shaped error;
    None if there is none (or if the body is not JSON at all: FastAPI answers that itself)."""
    if not _SUSPECT.search(body):
        return None
    try:
        document = json.loads(body, parse_constant=_Constant)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[list, Any]] = [(["body"], document)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, _Constant):
            return {"loc": loc, "type": "value_error",
                    "msg": f"{value.name} bukan angka JSON yang sah / {value.name} is not a valid JSON number"}
        if isinstance(value, str) and _lone_surrogate(value):
            return {"loc": loc, "msg": "teks berisi surrogate Unicode tunggal / text contains a lone Unicode surrogate",
                    "type": "value_error"}
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                if _lone_surrogate(key):
                    return {"loc": [*loc, _printable(key)], "msg": "nama field berisi surrogate Unicode tunggal / "
                            "field name contains a lone Unicode surrogate", "type": "value_error"}
                stack.append(([*loc, key], item))
        elif isinstance(value, list):
            stack.extend(([*loc, index], item) for index, item in reversed(list(enumerate(value))))
    return None


class JsonGuard:
    """422 naming the field for a POST/PUT/PATCH JSON body with NaN/Infinity or a lone surrogate:
    Python's parser accepts both, and they later fail as a stored NaN or a 500 on encoding."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH") or not _json_body(scope):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the app hears it too
                await self.app(scope, _replay(message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        problem = json_problem(body)
        if problem is not None:
            await JSONResponse({"detail": [problem]}, 422)(scope, receive, send)
            return
        await self.app(scope, _replay({"type": "http.request", "body": body, "more_body": False}, receive), send)


def _json_body(scope: Scope) -> bool:
    """Whether FastAPI reads this body as JSON: application/json, */*+json, or no content type at all."""
    media_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
    return not media_type or media_type.endswith(b"json")


def _replay(first: Message, receive: Receive) -> Receive:
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
