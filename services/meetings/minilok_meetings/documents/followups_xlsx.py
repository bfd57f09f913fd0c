"""A meeting's follow-ups (RTL) as a spreadsheet (openpyxl) in the RTL / RPK matrix's column order
(Permenkes 44/2016): kegiatan, then tujuan, sasaran, lokasi, indikator keberhasilan, biaya and
sumber dana, then penanggung jawab, waktu and status; headings and words in Bahasa Indonesia as the
pages say them; the "Masalah" column only when some follow-up names a problem. Ready to print: A4
landscape, fitted to the page's width, the headings repeated on every page."""

from __future__ import annotations

import math
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from minilok_meetings.documents.content import (
    MinutesContent,
    escalation_label,
    funding_label,
    priority_label,
    status_label,
)

SHEET_TITLE = "Rencana Tindak Lanjut"
# (heading, column width in characters)
COLUMNS = (
    ("No", 5), ("Kegiatan", 26), ("Rincian", 24), ("Tujuan", 20), ("Sasaran", 16), ("Lokasi", 14),
    ("Indikator Keberhasilan", 20), ("Biaya", 14), ("Sumber Dana", 12), ("Penanggung Jawab", 18),
    ("Waktu", 16), ("Status", 14), ("Lembaga Pendukung", 24), ("Masalah", 26), ("Prioritas", 10), ("Eskalasi", 9),
)
# The printed page is the matrix itself (No to Status); the columns after it are for the screen and filters.
PRINTED_UNTIL = "Status"
DATE_FORMAT = "dd/mm/yyyy hh:mm"
# Whole rupiah, thousands grouped (Excel shows the reader's own separator: 1.500.000 in Indonesian).
RUPIAH_FORMAT = '"Rp "#,##0'
# Left out when every cell of it would be empty.
OPTIONAL = ("Masalah",)


_THIN = Side(style="thin", color="999999")
GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)  # the matrix prints as a table

EXCEL_CELL_MAX = 32_767  # characters; Excel calls a file with a longer cell damaged


def _clean(value: str | None) -> str | None:
    """openpyxl refuses control characters; they carry nothing a reader needs. Text past Excel's
    cell limit is cut with an ellipsis, so the file always opens."""
    if not value:
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value if len(value) <= EXCEL_CELL_MAX else value[:EXCEL_CELL_MAX - 1] + "…"


def _row(number: int, followup, tz: ZoneInfo) -> dict[str, object]:
    return {
        "No": number, "Kegiatan": _clean(followup.title), "Rincian": _clean(followup.action),
        "Tujuan": _clean(followup.objective), "Sasaran": _clean(followup.target_group),
        "Lokasi": _clean(followup.location), "Indikator Keberhasilan": _clean(followup.success_indicator),
        "Biaya": followup.cost_estimate, "Sumber Dana": funding_label(followup.funding_source),
        "Penanggung Jawab": _clean(followup.owner),
        # Excel has no timezones: the local wall-clock time, as the puskesmas reads it.
        "Waktu": followup.due_at.astimezone(tz).replace(tzinfo=None),
        "Status": status_label(followup.status, followup.is_overdue),
        "Lembaga Pendukung": _clean(", ".join(followup.supporters)) or None, "Masalah": _clean(followup.problem),
        "Prioritas": priority_label(followup.priority), "Eskalasi": escalation_label(followup.escalation_level),
    }


def columns(content: MinutesContent) -> list[tuple[str, int]]:
    """The columns of this meeting's sheet: an optional one only when some follow-up fills it."""
    filled = {"Masalah": any(f.problem for f in content.followups)}
    return [(heading, width) for heading, width in COLUMNS if heading not in OPTIONAL or filled[heading]]


def render_followups_xlsx(content: MinutesContent) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    shown = columns(content)
    headings = [heading for heading, _ in shown]
    due_column = headings.index("Waktu") + 1
    cost_column = headings.index("Biaya") + 1
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E6EEF5")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.border = GRID
    tz = ZoneInfo(content.timezone)
    for number, followup in enumerate(content.followups, 1):
        row = _row(number, followup, tz)
        sheet.append([row[heading] for heading in headings])
        for cell in sheet[sheet.max_row]:
            # Text typed at a meeting is never a formula ("=HYPERLINK(...)" stays text).
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = GRID
        sheet.cell(sheet.max_row, due_column).number_format = DATE_FORMAT
        sheet.cell(sheet.max_row, cost_column).number_format = RUPIAH_FORMAT
    for index, (_, width) in enumerate(shown, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    _fit_row_heights(sheet, [width for _, width in shown])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(shown))}{max(sheet.max_row, 1)}"
    _ready_to_print(sheet, content)
    workbook.properties.title = f"{SHEET_TITLE}: {_clean(content.title)}"
    workbook.properties.creator = "Minilok"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


LINE_HEIGHT, MAX_ROW_HEIGHT = 13, 409  # points; Excel's tallest row


def _fit_row_heights(sheet, widths: list[int]) -> None:
    """Rows as tall as their wrapped text: Excel grows a row on opening, but LibreOffice and a
    print preview keep the default height and the lines overlap."""
    for row in sheet.iter_rows():
        lines = 1
        for cell, width in zip(row, widths, strict=False):
            if isinstance(cell.value, str):
                chars = max(width - 1, 1)
                lines = max(lines, sum(max(1, math.ceil(len(part) / chars)) for part in cell.value.split("\n")))
        sheet.row_dimensions[row[0].row].height = min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines + 3)


def _ready_to_print(sheet, content: MinutesContent) -> None:
    """A4 landscape, the matrix's columns on the page's width (as many pages down as it takes),
    headings on every page, the meeting named at the top and the pages numbered at the bottom."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"
    last = get_column_letter([cell.value for cell in sheet[1]].index(PRINTED_UNTIL) + 1)
    sheet.print_area = f"A1:{last}{max(sheet.max_row, 1)}"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.9
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    # "&" starts a header code: a title's own ampersand is written twice.
    header = _clean(f"{SHEET_TITLE}: {content.title} ({content.puskesmas})"[:200])
    sheet.oddHeader.center.text = header.replace("&", "&&")
    sheet.oddFooter.right.text = "Halaman &P dari &N"
