"""The import CLI and the upload endpoint read a CSV into the rows DictReader + clean_cells made,
keeping only the columns of POST /values."""

import csv

from minilok_indicators.cli import _row_chunks
from minilok_indicators.formats.tabular import VALUE_COLUMNS, clean_cells, value_rows

TRICKY = (
    "\ufeffindicator_code,area_code,note,period,numerator,denominator,value\r\n"
    "POSYANDU_DS, 21.71.06 ,x,2026-03,40,65,\r\n"
    "\r\n"
    "POSYANDU_DS,21.71.06,,2026-04,40\r\n"  # short: the missing cells are None
    "POSYANDU_DS,21.71.06,,2026-05,40,65,61.5,extra,cells\r\n"  # long: cells beyond the header dropped
    '"POSYANDU_DS","21.71.06","a\nb","2026-06"," ","",""\r\n'  # blank cells None, a quoted line break
)


def test_rows_as_dictreader_made_them(tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(TRICKY, encoding="utf-8")
    total, chunks = _row_chunks(path, 2)
    got = [row for chunk in chunks for row in chunk]
    with open(path, encoding="utf-8-sig", newline="") as fh:
        expected = [{key: cell for key, cell in clean_cells(row).items() if key in VALUE_COLUMNS}
                    for row in csv.DictReader(fh)]
    assert got == expected
    assert value_rows(TRICKY.removeprefix("\ufeff")) == expected
    assert len(got) == 4 and got[1]["denominator"] is None and got[3]["numerator"] is None
    assert got[0]["area_code"] == "21.71.06" and "note" not in got[0]
