"""How area names are searched: each name is cut into normalised words ("Kota Batam" → "kota",
"batam"; accents and punctuation dropped, "Tanjung Uma-Lubuk" → "tanjung", "uma", "lubuk"), and a
query matches an area when every word of the query starts a word of its name. A readable place
is the names of the area's ancestors and its own: "Kepulauan Riau › Kota Batam › Batam Kota"."""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"[0-9a-z]+")
MAX_WORD = 100  # the column's width; longer words are cut (still a prefix of themselves)
MAX_QUERY_WORDS = 6
PLACE_SEPARATOR = " › "


def normalise(text: str) -> str:
    """Lower case ASCII letters and digits: "Sungai Pänas" → "sungai panas"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_words(name: str) -> list[str]:
    """The distinct words of an area's name, in order."""
    return list(dict.fromkeys(word[:MAX_WORD] for word in WORD.findall(normalise(name))))


def query_words(query: str) -> list[str]:
    """The words a search asks for (at most a few: a longer query narrows nothing more)."""
    return name_words(query)[:MAX_QUERY_WORDS]


def match_rank(name: str, query: str) -> int:
    """0 the whole name, 1 the name starts with the query, 2 some word of it does (search order)."""
    whole, asked = " ".join(name_words(name)), " ".join(query_words(query))
    if whole == asked:
        return 0
    return 1 if whole.startswith(asked) else 2


def place(names_root_first: list[str]) -> str:
    return PLACE_SEPARATOR.join(names_root_first)
