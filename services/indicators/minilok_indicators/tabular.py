"""CSV files in: rows as dicts, an empty cell as a missing value (None)."""

from __future__ import annotations

import csv
import io


def csv_rows(text: str) -> tuple[list[str], list[dict]]:
    """The header and the rows; cells beyond the header are dropped. Raises csv.Error."""
    reader = csv.DictReader(io.StringIO(text))
    rows = [clean_cells(row) for row in reader]
    return list(reader.fieldnames or []), rows


def clean_cells(row: dict) -> dict:
    """A DictReader row with cells trimmed, an empty cell None, cells beyond the header dropped."""
    return {key: (value.strip() or None) if value is not None else None for key, value in row.items()
            if key is not None}
