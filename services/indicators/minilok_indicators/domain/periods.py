"""Reporting periods: "2026-01" (monthly), "2026Q1" (quarterly), "2026" (yearly).

Values are stored in their indicator's period type; a rollup over a longer period adds up the
months (or quarters) inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PERIOD_TYPES = ("monthly", "quarterly", "yearly")
# Years 1000-9999 in ASCII digits, nothing after (`$` would let a trailing newline through): a
# period has a real calendar year, and its neighbours and date range stay representable.
_YEAR = r"([1-9][0-9]{3})"
_PATTERNS = {
    "monthly": re.compile(rf"{_YEAR}-(0[1-9]|1[0-2])\Z"),
    "quarterly": re.compile(rf"{_YEAR}Q([1-4])\Z"),
    "yearly": re.compile(rf"{_YEAR}\Z"),
}
_EXAMPLES = {"monthly": "2026-01", "quarterly": "2026Q1", "yearly": "2026"}
_RANK = {"monthly": 0, "quarterly": 1, "yearly": 2}


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    year: int
    type: str
    index: int  # month 1-12, quarter 1-4, or 1 for a year

    def __str__(self) -> str:
        if self.type == "monthly":
            return f"{self.year:04d}-{self.index:02d}"
        if self.type == "quarterly":
            return f"{self.year:04d}Q{self.index}"
        return f"{self.year:04d}"

    def previous(self) -> Period:
        if self.type == "yearly":
            return Period(self.year - 1, "yearly", 1)
        last = 12 if self.type == "monthly" else 4
        if self.index == 1:
            return Period(self.year - 1, self.type, last)
        return Period(self.year, self.type, self.index - 1)

    def next(self) -> Period:
        if self.type == "yearly":
            return Period(self.year + 1, "yearly", 1)
        last = 12 if self.type == "monthly" else 4
        if self.index == last:
            return Period(self.year + 1, self.type, 1)
        return Period(self.year, self.type, self.index + 1)

    def months(self) -> list[int]:
        if self.type == "monthly":
            return [self.index]
        if self.type == "quarterly":
            return [3 * (self.index - 1) + m for m in (1, 2, 3)]
        return list(range(1, 13))

    def parts(self, period_type: str) -> list[Period]:
        """The periods of `period_type` that make up this one (2026Q1 in months: 2026-01..03)."""
        if _RANK[period_type] > _RANK[self.type]:
            raise InvalidPeriod(
                f"periode {self} lebih pendek dari tipe indikator ({period_type}) / "
                f"period {self} is shorter than the indicator's period type ({period_type})"
            )
        if period_type == self.type:
            return [self]
        if period_type == "monthly":
            return [Period(self.year, "monthly", m) for m in self.months()]
        return [Period(self.year, "quarterly", q) for q in range(1, 5)]


def parse_period(text: str) -> Period:
    """Any of the three forms."""
    for period_type, pattern in _PATTERNS.items():
        match = pattern.match(text)
        if match:
            index = int(match.group(2)) if period_type != "yearly" else 1
            return Period(int(match.group(1)), period_type, index)
    raise InvalidPeriod(
        f"periode {text!r} tidak dikenal; pakai 2026-01, 2026Q1 atau 2026 / "
        f"unknown period {text!r}; use 2026-01, 2026Q1 or 2026"
    )


def parse_period_of_type(text: str, period_type: str) -> Period:
    """A period that must be of the given type (a monthly indicator takes "2026-01" only)."""
    period = parse_period(text)
    if period.type != period_type:
        raise InvalidPeriod(
            f"periode {text!r} tidak cocok dengan tipe {period_type}, contoh {_EXAMPLES[period_type]} / "
            f"period {text!r} does not match period type {period_type}, e.g. {_EXAMPLES[period_type]}"
        )
    return period


def period_containing(year: int, month: int, period_type: str) -> Period:
    """The period of a type that holds a given month."""
    if period_type == "monthly":
        return Period(year, "monthly", month)
    if period_type == "quarterly":
        return Period(year, "quarterly", (month - 1) // 3 + 1)
    return Period(year, "yearly", 1)
