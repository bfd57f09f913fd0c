"""What must never reach a person reading a message (tests of the notifications texts): an id
or an ISO time where words belong, a raw status or event kind, a word of the other language."""

from __future__ import annotations

import html
import re

NEVER = [
    (re.compile(r"#\d"), "an id as #<digit>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T"), "an ISO timestamp"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "an ISO date"),
    (re.compile(r"\bin_progress\b|Status[^:\n]*:\s*(open|done|cancelled)\b"), "a raw status"),
    (re.compile(r"\b(followup|meeting|indicator|notification|auth)\.[a-z_]+"), "a raw event type"),
    (re.compile(r"\b[a-z]+_[a-z_]+\b"), "a raw code word (dinas_kesehatan, quarterly_cross_sector...)"),
    (re.compile(r"\b(None|null|undefined|nan)\b"), "an empty value"),
    (re.compile(r"[{}]|\blembaga \d"), "a template leftover or an agency by number"),
]
ENGLISH_IN_ID = re.compile(r"\b(Status:|Owner|Due|overdue|Overdue|follow-up|Follow-up|Meeting|Escalat\w*|Open|Done|"
                           r"Cancelled|In progress|Please|Respond|agency|agencies|days?|late|the|and|of|is|was)\b")
INDONESIAN_IN_EN = re.compile(r"\b(Terbuka|Dikerjakan|Selesai|Dibatalkan|Batas|Penanggung|terlambat|hari|Mohon|"
                              r"Bapak|Ibu|lembaga|Tindak lanjut|Lihat|Tanggapi|dan|yang|dari|untuk|di|RTL|Undangan)\b")
URL = re.compile(r"https?://\S+")


def _user_values(value):
    """Strings the event carries from people (titles, names, notes): they stay as typed."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _user_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _user_values(v)
    elif isinstance(value, str) and " " in value or isinstance(value, str) and value[:1].isupper():
        yield value


def readable(text: str, ev: dict) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))  # HTML: the words, not the markup
    text = URL.sub(" ", text)
    for value in sorted(set(_user_values(ev.get("data") or {})), key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def problems(text: str, ev: dict, language: str) -> list[str]:
    words = readable(text, ev)
    found = [f"{why}: {m.group(0)!r}" for pattern, why in NEVER for m in [pattern.search(words)] if m]
    wrong = (ENGLISH_IN_ID if language == "id" else INDONESIAN_IN_EN).search(words)
    if wrong:
        found.append(f"a word of the other language: {wrong.group(0)!r}")
    return found


