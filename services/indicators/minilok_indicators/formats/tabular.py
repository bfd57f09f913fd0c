"""CSV files in: rows as dicts with the columns of POST /values, an empty cell as a missing value (None)."""

from __future__ import annotations

import csv
import io

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


def value_columns(row: dict) -> dict:
    """Only the cells of a row that POST /values knows."""
    return {key: value for key, value in row.items() if key in VALUE_COLUMNS}


def value_rows(text: str) -> list[dict]:
    """Rows of a CSV with the columns of POST /values. Raises csv.Error or MissingColumns."""
    header, rows = csv_rows(text)
    require_value_columns(header)
    return [value_columns(row) for row in rows]
