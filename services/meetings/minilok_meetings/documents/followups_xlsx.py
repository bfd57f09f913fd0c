"""A meeting's follow-ups (RTL) as a spreadsheet (openpyxl), headings and words in Bahasa
Indonesia as the pages say them; the "Masalah" column only when some follow-up names a problem."""

from __future__ import annotations

from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from minilok_meetings.documents.content import MinutesContent, escalation_label, priority_label, status_label

SHEET_TITLE = "Rencana Tindak Lanjut"
# (heading, column width in characters)
COLUMNS = (
    ("No", 5), ("Judul", 40), ("Masalah", 40), ("Tindakan", 40), ("Penanggung Jawab", 28),
    ("Lembaga Pendukung", 32), ("Batas Waktu", 18), ("Status", 22), ("Prioritas", 11), ("Eskalasi", 9),
)
DATE_FORMAT = "dd/mm/yyyy hh:mm"
# Left out when every cell of it would be empty.
OPTIONAL = ("Masalah",)


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
        "No": number, "Judul": _clean(followup.title), "Masalah": _clean(followup.problem),
        "Tindakan": _clean(followup.action), "Penanggung Jawab": _clean(followup.owner),
        "Lembaga Pendukung": _clean(", ".join(followup.supporters)) or None,
        # Excel has no timezones: the local wall-clock time, as the puskesmas reads it.
        "Batas Waktu": followup.due_at.astimezone(tz).replace(tzinfo=None),
        "Status": status_label(followup.status, followup.is_overdue),
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
    due_column = headings.index("Batas Waktu") + 1
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E6EEF5")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    tz = ZoneInfo(content.timezone)
    for number, followup in enumerate(content.followups, 1):
        row = _row(number, followup, tz)
        sheet.append([row[heading] for heading in headings])
        for cell in sheet[sheet.max_row]:
            # Text typed at a meeting is never a formula ("=HYPERLINK(...)" stays text).
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.cell(sheet.max_row, due_column).number_format = DATE_FORMAT
    for index, (_, width) in enumerate(shown, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(shown))}{max(sheet.max_row, 1)}"
    workbook.properties.title = f"{SHEET_TITLE}: {_clean(content.title)}"
    workbook.properties.creator = "Minilok"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
