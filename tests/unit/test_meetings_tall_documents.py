"""A meeting's documents never break for good: very tall text (long words, thousands of lines,
hundreds of decisions, huge names) splits across pages in the PDF and stays whole in the XLSX."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from io import BytesIO

import pytest
from minilok_meetings.documents.content import AgendaRow, AttendanceRow, FollowUpRow, MinutesContent
from minilok_meetings.documents.followups_xlsx import EXCEL_CELL_MAX, render_followups_xlsx
from minilok_meetings.documents.minutes_pdf import render_minutes_pdf
from openpyxl import load_workbook
from pypdf import PdfReader

DUE = datetime(2026, 3, 20, 16, 59, tzinfo=UTC)


def minutes(**fields) -> MinutesContent:
    return MinutesContent(**{
        "meeting_id": 1, "title": "Lokakarya Mini Maret", "kind": "monthly_internal", "puskesmas": "Puskesmas Baloi",
        "kota": "Kota Batam", "provinsi": "Kepulauan Riau", "timezone": "Asia/Jakarta",
        "scheduled_at": datetime(2026, 3, 4, 2, tzinfo=UTC), "status": "draft", **fields})


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(BytesIO(pdf))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages)


TALL = {
    "summary without newlines": {"summary": "kata " * 4000 + "AKHIR"},
    "one word of 20,000 characters": {"summary": "x" * 20_000 + " AKHIR"},
    "a word of 5,000 in a decision": {"decisions": ["a " + "W" * 5000 + " AKHIR"]},
    "hundreds of decisions": {"decisions": [f"Keputusan nomor {i} " + "panjang " * 40 for i in range(600)]
                              + ["AKHIR"]},
    "a decision of a thousand lines": {"decisions": ["baris\n" * 1000 + "AKHIR"] * 3},
    "agenda title, presenter and notes": {"agenda": [AgendaRow(title="T" * 5000, presenter="P" * 3000,
                                                               notes="catatan\n" * 2000 + "AKHIR")]},
    "attendee name of one word": {"attendance": [AttendanceRow(person_name="N" * 5000, agency="A" * 5000,
                                                               role="R" * 3000), AttendanceRow("AKHIR", "x")]},
    "attendee name of many words": {"attendance": [AttendanceRow(person_name="Nama " * 3000 + "AKHIR",
                                                                 agency="Lembaga " * 2000)]},
    "follow-up title": {"followups": [FollowUpRow(title="F" * 20_000 + " AKHIR", owner="O" * 5000, due_at=DUE,
                                                  status="open")]},
    "meeting title and place": {"title": "Judul " * 3000, "location": "lokasi " * 3000 + "AKHIR"},
}


@pytest.mark.parametrize("fields", TALL.values(), ids=TALL.keys())
def test_tall_text_splits_across_pages_and_nothing_is_lost(fields):
    pages, text = pdf_text(render_minutes_pdf(minutes(**fields)))
    assert pages > 1
    assert "AKHIR" in text and "Rencana Tindak Lanjut" in text


def test_thousands_of_lines_render_in_seconds():
    # One paragraph of 10,000 lines took a minute: ReportLab lays out its rest again at each page.
    started = time.monotonic()
    pages, text = pdf_text(render_minutes_pdf(minutes(summary="baris\n" * 10_000 + "AKHIR")))
    assert time.monotonic() - started < 30
    assert pages > 100 and f"Halaman {pages}" in text and "AKHIR" in text


def test_the_spreadsheet_keeps_long_text_and_cuts_only_past_excels_limit():
    long_title, too_long = "judul " * 2000, "y" * 40_000
    sheet = load_workbook(BytesIO(render_followups_xlsx(minutes(followups=[
        FollowUpRow(title=long_title.strip(), owner="O" * 5000, due_at=DUE, status="open", problem=too_long,
                    action="baris\n" * 3000, supporters=["Lembaga " * 30] * 50),
    ])))).active
    headings = [cell.value for cell in sheet[1]]
    title, problem, action = (sheet.cell(2, headings.index(name) + 1).value
                              for name in ("Kegiatan", "Masalah", "Rincian"))
    assert title == long_title.strip() and action == "baris\n" * 3000
    assert len(problem) == EXCEL_CELL_MAX and problem.endswith("…")
    assert all(len(str(cell.value or "")) <= EXCEL_CELL_MAX for cell in sheet[2])
