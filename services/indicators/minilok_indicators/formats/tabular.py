"""CSV files in: rows as dicts with the columns of POST /values, an empty cell as a missing value (None)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

VALUE_COLUMNS = ("indicator_code", "area_code", "period", "numerator", "denominator", "value")
REQUIRED_VALUE_COLUMNS = VALUE_COLUMNS[:4]


class MissingColumns(ValueError):
    """A values CSV without one of the required columns."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(f"kolom {', '.join(missing)} tidak ada / missing column(s) {', '.join(missing)}")


def csv_rows(text: str) -> tuple[list[str], list[dict]]:
    """The header and the rows; cells beyond the header are dropped. Raises csv.Error."""
    reader = csv.DictReader(io.StringIO(text))
    rows = [clean_cells(row) for row in reader]
    return list(reader.fieldnames or []), rows


def clean_cells(row: dict) -> dict:
    """A DictReader row with cells trimmed, an empty cell None, cells beyond the header dropped."""
    return {key: (value.strip() or None) if value is not None else None for key, value in row.items()
            if key is not None}


def require_value_columns(header: list[str]) -> None:
    """Raises MissingColumns when the header lacks a column every values row needs."""
    missing = [c for c in REQUIRED_VALUE_COLUMNS if c not in header]
    if missing:
        raise MissingColumns(missing)


def value_cells(header: list[str], rows: Iterable[list[str]]) -> Iterator[dict]:
    """The rows of a `csv.reader` after its `header` as dicts of only the columns POST /values
    knows: cells trimmed, an empty or missing cell None, cells beyond the header dropped, blank
    lines skipped (what DictReader + clean_cells gave, without a dict per row for every column).
    Streams: the import CLI reads files of millions of rows through it."""
    keep = [(i, name) for i, name in enumerate(header) if name in VALUE_COLUMNS]
    for cells in rows:
        if not cells:
            continue
        width = len(cells)
        yield {name: (cells[i].strip() or None) if i < width else None for i, name in keep}


def value_rows(text: str) -> list[dict]:
    """Rows of a CSV with the columns of POST /values. Raises csv.Error or MissingColumns."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    rows = list(reader)
    require_value_columns(header)
    return list(value_cells(header, rows))
