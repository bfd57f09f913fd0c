"""Kemendagri-style dotted area codes ("21.71.06.1004"): which area lies within which."""

from __future__ import annotations


def dotted_prefixes(code: str) -> list[str]:
    """"21.71.06.1004" → ["21", "21.71", "21.71.06", "21.71.06.1004"]."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def within(code: str, area: str) -> bool:
    """Whether `code` is `area` or lies beneath it, segment by segment ("21.71.061" is not in "21.71.06")."""
    inner, outer = code.split("."), area.split(".")
    return len(inner) >= len(outer) and inner[:len(outer)] == outer
