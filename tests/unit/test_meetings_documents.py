"""The notulen documents: Indonesian dates, the minutes PDF and the follow-ups spreadsheet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from minilok_meetings.documents.content import AgendaRow, AttendanceRow, CarriedOverRow, FollowUpRow, MinutesContent
from minilok_meetings.documents.dates import format_tanggal, format_waktu
from minilok_meetings.documents.followups_xlsx import COLUMNS, render_followups_xlsx
from minilok_meetings.documents.minutes_pdf import render_minutes_pdf
from openpyxl import load_workbook
from pypdf import PdfReader

# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "tz", "expected"), [
    # 23:59 WIB is 16:59 UTC the same day.
    (datetime(2026, 2, 20, 16, 59, 59, tzinfo=UTC), "Asia/Jakarta", "Jumat, 20 Februari 2026 23.59 WIB"),
    # WITA is UTC+8: 17:30 UTC on a Saturday is already Sunday 01.30 there.
    (datetime(2025, 11, 29, 17, 30, tzinfo=UTC), "Asia/Makassar", "Minggu, 30 November 2025 01.30 WITA"),
    (datetime(2026, 1, 4, 23, 5, tzinfo=UTC), "Asia/Jayapura", "Senin, 5 Januari 2026 08.05 WIT"),
    (datetime(2026, 8, 17, 3, 0, tzinfo=UTC), "Asia/Jakarta", "Senin, 17 Agustus 2026 10.00 WIB"),
])
def test_format_waktu_in_local_time(moment, tz, expected):
    assert format_waktu(moment, tz) == expected


def test_every_day_and_month_has_its_indonesian_name():
    days = [format_tanggal(date(2026, 3, d)).split(",")[0] for d in range(2, 9)]  # Monday 2 March 2026
    assert days == ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
    months = [format_tanggal(date(2026, m, 1)).split()[2] for m in range(1, 13)]
    assert months == ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                      "Oktober", "November", "Desember"]


# --- documents ---------------------------------------------------------------------------


def baloi_permai(**changes) -> MinutesContent:
    content = dict(
        meeting_id=7, title="Lokmin Lintas Sektor Triwulan I", kind="quarterly_cross_sector",
        puskesmas="Puskesmas Baloi Permai", kota="Kota Batam", provinsi="Kepulauan Riau", timezone="Asia/Jakarta",
        scheduled_at=datetime(2026, 2, 18, 2, 0, tzinfo=UTC), status="published", location="Aula Kecamatan",
        published_at=datetime(2026, 2, 18, 7, 0, tzinfo=UTC),
        summary="Kasus DBD terbanyak di Hang Tuah, Mediterania & Bida Asri <perlu PSN>.",
        decisions=["Gerakan PSN serentak setiap Jumat", "Dinas Sosial mengaktifkan kembali BPJS pasien kronis"],
        agenda=[AgendaRow("Laporan SPM 2025", presenter="Puskesmas Baloi Permai", indicator_code="SPM"),
                AgendaRow("Situasi DBD", notes="IR naik")],
        attendance=[AttendanceRow("Camat Batam Kota", "Kecamatan Batam Kota", "Camat"),
                    AttendanceRow("Kader Mawar X", "Posyandu Mawar X", None, present=False)],
        followups=[
            FollowUpRow(title="PSN di RW 05 Hang Tuah", owner="Kelurahan Baloi Permai",
                        due_at=datetime(2026, 2, 20, 16, 59, 59, tzinfo=UTC), status="open", is_overdue=True,
                        problem="ABJ rendah", action="Kerja bakti dan abatisasi",
                        supporters=["PKK", "Kecamatan Batam Kota"], priority="high", escalation_level=1),
            FollowUpRow(title="=HYPERLINK(\"http://x\")", owner="Dinas Sosial",
                        due_at=datetime(2026, 3, 31, 16, 59, 59, tzinfo=UTC), status="done"),
        ],
    )
    content.update(changes)
    return MinutesContent(**content)


def pdf_text(data: bytes) -> str:
    """The text with every run of whitespace as one space (table cells wrap)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages).split())


def test_minutes_pdf_has_the_indonesian_sections_and_content():
    data = render_minutes_pdf(baloi_permai())
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for heading in ("Notulen Lokakarya Mini", "Daftar Hadir", "Agenda", "Ringkasan", "Keputusan",
                    "Rencana Tindak Lanjut", "Lokakarya Mini Tribulanan Lintas Sektor"):
        assert heading in text
    assert "Camat Batam Kota" in text
    assert "Bida Asri <perlu PSN>" in text  # user text is escaped, not read as markup
    assert "Gerakan PSN serentak" in text
    assert "PSN di RW 05 Hang Tuah" in text
    assert "Jumat, 20 Februari 2026 23.59 WIB" in text
    assert "Terbuka (terlambat)" in text


def test_minutes_pdf_of_an_empty_draft():
    text = pdf_text(render_minutes_pdf(baloi_permai(status="scheduled", published_at=None, summary=None, decisions=[],
                                                    agenda=[], attendance=[], followups=[], location=None)))
    assert "Draf (belum diterbitkan)" in text
    assert "Belum ada rencana tindak lanjut." in text


MATRIX_HEADINGS = ("No", "Kegiatan", "Rincian", "Tujuan", "Sasaran", "Lokasi", "Indikator Keberhasilan", "Biaya",
                   "Sumber Dana", "Penanggung Jawab", "Waktu", "Status")


def test_followups_xlsx_headings_rows_and_local_dates():
    workbook = load_workbook(BytesIO(render_followups_xlsx(baloi_permai())))
    sheet = workbook.active
    assert sheet.title == "Rencana Tindak Lanjut"
    rows = list(sheet.iter_rows(values_only=True))
    # The RTL matrix's order: kegiatan, its columns, then penanggung jawab, waktu, status; the rest after.
    assert rows[0] == (*MATRIX_HEADINGS, "Lembaga Pendukung", "Masalah", "Prioritas", "Eskalasi")
    assert rows[1] == (1, "PSN di RW 05 Hang Tuah", "Kerja bakti dan abatisasi", None, None, None, None, None, None,
                       "Kelurahan Baloi Permai", datetime(2026, 2, 20, 23, 59, 59), "Terbuka (terlambat)",
                       "PKK, Kecamatan Batam Kota", "ABJ rendah", "Tinggi", "tingkat 1")
    assert rows[2][-2:] == ("Biasa", None)
    assert rows[2][rows[0].index("Status")] == "Selesai"  # the page's words; no level for one never escalated
    assert rows[2][1] == '=HYPERLINK("http://x")'  # text from a meeting is never a formula
    assert sheet.cell(2, 2).data_type == "s"
    assert sheet.cell(2, rows[0].index("Waktu") + 1).is_date
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == dict(COLUMNS)["Kegiatan"]
    assert len(rows) == 3


def rtl_matrix_content(**changes) -> MinutesContent:
    return baloi_permai(followups=[
        FollowUpRow(title="PSN serentak RW 05", owner="Kelurahan Baloi Permai", status="open",
                    due_at=datetime(2026, 3, 20, 16, 59, 59, tzinfo=UTC), action="Kerja bakti tiap Jumat",
                    objective="ABJ naik ke 95%", target_group="420 KK RW 05", location="RW 05 Hang Tuah",
                    success_indicator="ABJ ≥ 95% pada PJB Maret", cost_estimate=1_500_000, funding_source="dana_desa"),
        FollowUpRow(title="Sosialisasi JKN", owner="Dinas Sosial", status="done",
                    due_at=datetime(2026, 3, 31, 16, 59, 59, tzinfo=UTC), cost_estimate=125_000_000,
                    funding_source="swadaya")], **changes)


def test_followups_xlsx_has_the_rtl_matrix_columns_cost_in_rupiah_and_prints_landscape_on_one_width():
    sheet = load_workbook(BytesIO(render_followups_xlsx(rtl_matrix_content()))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:12] == MATRIX_HEADINGS and "Masalah" not in rows[0]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["Kegiatan"], first["Rincian"], first["Tujuan"], first["Sasaran"], first["Lokasi"],
            first["Indikator Keberhasilan"], first["Biaya"], first["Sumber Dana"]) == (
        "PSN serentak RW 05", "Kerja bakti tiap Jumat", "ABJ naik ke 95%", "420 KK RW 05", "RW 05 Hang Tuah",
        "ABJ ≥ 95% pada PJB Maret", 1_500_000, "Dana Desa")
    cost = sheet.cell(3, rows[0].index("Biaya") + 1)
    assert cost.value == 125_000_000 and cost.number_format == '"Rp "#,##0'  # a number, shown as rupiah
    assert rows[2][rows[0].index("Sumber Dana")] == "Swadaya masyarakat"  # words, never the code
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0 and sheet.print_title_rows in ("1:1", "$1:$1")
    words = " ".join(str(c) for row in rows for c in row if c is not None)
    assert "dana_desa" not in words and "swadaya " not in words


def test_followups_xlsx_leaves_out_masalah_when_no_follow_up_names_a_problem():
    content = baloi_permai(followups=[
        FollowUpRow(title="Kunjungan rumah", owner="RT 05", status="in_progress", priority="normal",
                    due_at=datetime(2026, 2, 1, tzinfo=UTC)),
        FollowUpRow(title="Penyuluhan", owner="PKK", status="cancelled", priority="low",
                    due_at=datetime(2026, 2, 2, tzinfo=UTC))])
    sheet = load_workbook(BytesIO(render_followups_xlsx(content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "Masalah" not in rows[0] and rows[0][:3] == ("No", "Kegiatan", "Rincian")
    assert rows[1][rows[0].index("Status")] == "Dikerjakan" and rows[1][rows[0].index("Prioritas")] == "Biasa"
    assert rows[2][rows[0].index("Status")] == "Dibatalkan" and rows[2][rows[0].index("Prioritas")] == "Rendah"
    assert sheet.cell(2, rows[0].index("Waktu") + 1).is_date
    assert sheet.auto_filter.ref == "A1:O3"
    words = " ".join(str(c) for row in rows for c in row if c is not None)
    for code in ("in_progress", "normal", "cancelled", "Normal", "Sedang dikerjakan"):
        assert code not in words


def test_minutes_pdf_uses_the_words_of_the_pages():
    content = baloi_permai(kind="monthly_internal", followups=[
        FollowUpRow(title="Kunjungan rumah", owner="RT 05", status="in_progress",
                    due_at=datetime(2026, 2, 1, tzinfo=UTC))])
    text = pdf_text(render_minutes_pdf(content))
    assert "Lokakarya Mini Bulanan" in text and "Dikerjakan" in text
    assert "in_progress" not in text and "monthly_internal" not in text


def test_documents_survive_control_and_non_latin_characters():
    odd = "Rapat\x01 ✓ 中文"
    content = baloi_permai(title=odd, followups=[FollowUpRow(title=odd, owner="RT 05", status="open",
                                                             due_at=datetime(2026, 2, 1, tzinfo=UTC))])
    assert render_minutes_pdf(content).startswith(b"%PDF")
    sheet = load_workbook(BytesIO(render_followups_xlsx(content))).active
    assert sheet.cell(2, 2).value == "Rapat ✓ 中文"


def test_minutes_pdf_has_the_rtl_matrix_on_a4_landscape_and_signatures():
    content = rtl_matrix_content(head_name="dr. Rina Marlina", camat="Kecamatan Batam Kota", carried_over=[
        CarriedOverRow(title="Pemutakhiran data sasaran imunisasi", owner="Kelurahan Baloi Indah",
                       meeting_title="Lokmin Bulanan Januari 2026", due_at=datetime(2026, 1, 30, 16, 59, tzinfo=UTC),
                       status="open", is_overdue=True, days_late=19)])
    data = render_minutes_pdf(content)
    pages = PdfReader(BytesIO(data)).pages
    assert float(pages[0].mediabox.width) < float(pages[0].mediabox.height)  # A4 portrait first
    landscape_pages = [p for p in pages if float(p.mediabox.width) > float(p.mediabox.height)]
    assert landscape_pages and round(float(landscape_pages[0].mediabox.width)) == 842  # A4 landscape
    matrix = " ".join(landscape_pages[0].extract_text().split())
    order = ["Kegiatan", "Tujuan", "Sasaran", "Lokasi", "Indikator", "Biaya", "Sumber", "Penanggung", "Waktu", "Status"]
    positions = [matrix.index(word) for word in order]
    assert positions == sorted(positions)
    for expected in ("ABJ naik ke 95%", "420 KK RW 05", "RW 05 Hang Tuah", "Rp 1.500.000", "Rp 125.000.000",
                     "Dana Desa", "Swadaya masyarakat", "Kerja bakti tiap Jumat",
                     "Tindak lanjut minilok sebelumnya", "Pemutakhiran data sasaran imunisasi",
                     "Lokmin Bulanan Januari 2026", "19 hari",
                     "Mengetahui,", "Camat Batam Kota", "Kepala Puskesmas Baloi Permai", "(dr. Rina Marlina)",
                     "Kota Batam, 18 Februari 2026"):
        assert expected in matrix, expected


def test_minutes_pdf_of_a_monthly_minilok_is_signed_by_the_kepala_puskesmas_only():
    text = pdf_text(render_minutes_pdf(rtl_matrix_content(kind="monthly_internal", head_name=None)))
    assert "Kepala Puskesmas Baloi Permai" in text and "Camat" not in text.split("Rencana Tindak Lanjut")[-1]
    assert "Tidak ada RTL minilok sebelumnya yang belum selesai." in text
    assert "(......" in text  # a line to write the name on
