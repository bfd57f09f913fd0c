"""The notulen as a PDF (ReportLab), headings in Bahasa Indonesia: the meeting, daftar hadir, agenda,
summary and decisions on A4 portrait; the RTL matrix (Permenkes 44/2016 column order), the earlier
meetings' unfinished RTL and the signatures on A4 landscape pages, ready to sign."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    ListFlowable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from minilok_meetings.documents.content import EvidenceItem, MinutesContent, funding_label, rupiah, status_label
from minilok_meetings.documents.dates import format_tanggal, format_waktu

TITLE = "Notulen Lokakarya Mini"
_STYLES = getSampleStyleSheet()
_TITLE = ParagraphStyle("title", parent=_STYLES["Title"], fontSize=16, spaceAfter=4)
_SUBTITLE = ParagraphStyle("subtitle", parent=_STYLES["Normal"], alignment=TA_CENTER, fontSize=10)
_HEADING = ParagraphStyle("heading", parent=_STYLES["Heading2"], fontSize=12, spaceBefore=10, spaceAfter=4)
_BODY = ParagraphStyle("body", parent=_STYLES["Normal"], fontSize=9.5, leading=12)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8.5, leading=10.5)
_HEAD_CELL = ParagraphStyle("head-cell", parent=_CELL, fontName="Helvetica-Bold")
_SMALL_CELL = ParagraphStyle("small-cell", parent=_CELL, fontSize=7.5, leading=9, textColor=colors.HexColor("#444444"))
_SIGN = ParagraphStyle("sign", parent=_BODY, alignment=TA_CENTER)
_LINES_PER_PARAGRAPH = 20
# The RTL matrix on A4 landscape (26.7 cm between the margins): heading, width in cm.
MATRIX_COLUMNS = (
    ("No", 0.8), ("Kegiatan", 4.0), ("Tujuan", 3.0), ("Sasaran", 2.4), ("Lokasi", 2.2),
    ("Indikator Keberhasilan", 3.0), ("Biaya", 2.2), ("Sumber Dana", 1.9), ("Penanggung Jawab", 2.8),
    ("Waktu", 2.5), ("Status", 1.8),
)
CARRIED_COLUMNS = (
    ("No", 0.8), ("Kegiatan", 7.6), ("Dari rapat", 5.0), ("Penanggung Jawab", 4.2), ("Tenggat", 3.6),
    ("Status", 2.6), ("Keterlambatan", 2.8),
)
CARRIED_HEADING = "Tindak lanjut minilok sebelumnya"
_MARGIN = 1.5 * cm
_TABLE_STYLE = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef5")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
])


def _text(value: object | None, style: ParagraphStyle = _BODY) -> list[Paragraph]:
    """User text is data, not markup: escape it, keep its line breaks. A few lines per paragraph:
    ReportLab lays out the whole rest of a paragraph again at every page break, so a summary of
    thousands of lines in one paragraph would take minutes."""
    lines = escape(str(value or "-")).splitlines() or [""]
    return [Paragraph("<br/>".join(lines[i:i + _LINES_PER_PARAGRAPH]), style)
            for i in range(0, len(lines), _LINES_PER_PARAGRAPH)]


def _table(header: list[str], rows: list[list[object]], widths: list[float]) -> Table:
    data = [[_text(h, _HEAD_CELL) for h in header]]
    data += [[_text(cell, _CELL) for cell in row] for row in rows]
    table = Table(data, colWidths=[w * cm for w in widths], repeatRows=1, splitInRow=1)
    table.setStyle(_TABLE_STYLE)
    return table


def _numbered(items: list[list[Paragraph]]) -> ListFlowable:
    return ListFlowable(items, bulletType="1", bulletFontSize=9.5, leftIndent=14)


def render_minutes_pdf(content: MinutesContent) -> bytes:
    tz = content.timezone
    story: list = [
        Paragraph(TITLE, _TITLE),
        *_text(content.kind_label, _SUBTITLE),
        *_text(f"{content.puskesmas}, {content.kota}, {content.provinsi}", _SUBTITLE),
        Spacer(1, 0.4 * cm),
    ]
    details = [
        ["Rapat", content.title],
        ["Waktu", format_waktu(content.scheduled_at, tz)],
        ["Tempat", content.location or "-"],
        ["Status", f"Diterbitkan {format_waktu(content.published_at, tz)}" if content.published_at
         else "Draf (belum diterbitkan)"],
    ]
    story.append(Table([[_text(k, _HEAD_CELL), _text(v, _CELL)] for k, v in details], colWidths=[3 * cm, 14 * cm],
                       style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]), splitInRow=1))

    story.append(Paragraph("Daftar Hadir", _HEADING))
    if content.attendance:
        story.append(_table(
            ["No", "Nama", "Lembaga", "Jabatan", "Hadir"],
            [[i, a.person_name, a.agency, a.role, "Ya" if a.present else "Tidak"]
             for i, a in enumerate(content.attendance, 1)],
            [1, 4.5, 5.5, 4, 2],
        ))
    else:
        story.extend(_text("Belum ada daftar hadir."))

    story.append(Paragraph("Agenda", _HEADING))
    if content.agenda:
        items = []
        for item in content.agenda:
            extra = [part for part in (
                f"penyaji: {item.presenter}" if item.presenter else None,
                f"indikator: {item.indicator_name or item.indicator_code}" if item.indicator_code else None,
            ) if part]
            line = item.title + (f" ({'; '.join(extra)})" if extra else "")
            if item.notes:
                line += f"\n{item.notes}"
            items.append(_text(line))
        story.append(_numbered(items))
    else:
        story.extend(_text("Belum ada agenda."))

    story.append(Paragraph("Ringkasan", _HEADING))
    story.extend(_text(content.summary or "Belum ada ringkasan."))

    story.append(Paragraph("Keputusan", _HEADING))
    if content.decisions:
        story.append(_numbered([_text(d) for d in content.decisions]))
    else:
        story.extend(_text("Belum ada keputusan."))

    # The RTL matrix, the earlier meetings' unfinished RTL and the signatures: landscape pages.
    story += [NextPageTemplate("landscape"), PageBreak()]
    story.append(Paragraph("Rencana Tindak Lanjut", _HEADING))
    if content.followups:
        story.append(_matrix(content))
    else:
        story.extend(_text("Belum ada rencana tindak lanjut."))

    story.append(Paragraph(CARRIED_HEADING, _HEADING))
    if content.carried_over:
        story.append(_table(
            [h for h, _ in CARRIED_COLUMNS],
            [[i, c.title, c.meeting_title, c.owner, format_waktu(c.due_at, tz), status_label(c.status, False),
              f"{c.days_late} hari" if c.days_late else ("terlambat" if c.is_overdue else "belum jatuh tempo")]
             for i, c in enumerate(content.carried_over, 1)],
            [w for _, w in CARRIED_COLUMNS],
        ))
    else:
        story.extend(_text("Tidak ada RTL minilok sebelumnya yang belum selesai."))

    story.append(_signatures(content))

    with_evidence = [(i, f) for i, f in enumerate(content.followups, 1) if f.evidence]
    if with_evidence:
        story.append(Paragraph("Bukti Tindak Lanjut", _HEADING))
        for number, followup in with_evidence:
            story.append(_evidence_block(number, followup.title, followup.evidence, followup.more_evidence))

    buffer = BytesIO()
    document = BaseDocTemplate(
        buffer, pagesize=A4, title=f"{TITLE}: {content.title}", author=content.puskesmas, subject=content.kind_label,
    )
    document.addPageTemplates([_page_template("portrait", A4, 2 * cm),
                               _page_template("landscape", landscape(A4), _MARGIN)])
    document.build(story)
    return buffer.getvalue()


def _page_template(name: str, size: tuple[float, float], margin: float) -> PageTemplate:
    frame = Frame(margin, 1.8 * cm, size[0] - 2 * margin, size[1] - 3.6 * cm, id=name, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    return PageTemplate(id=name, frames=[frame], pagesize=size, onPage=_footer)


def _matrix(content: MinutesContent) -> Table:
    """The RTL matrix: kegiatan (its rincian beneath), tujuan, sasaran, lokasi, indikator
    keberhasilan, biaya, sumber dana, penanggung jawab, waktu, status."""
    tz = content.timezone
    data = [[_text(h, _HEAD_CELL) for h, _ in MATRIX_COLUMNS]]
    for i, f in enumerate(content.followups, 1):
        kegiatan = _text(f.title, _CELL) + (_text(f.action, _SMALL_CELL) if f.action else [])
        cells = [i, None, f.objective, f.target_group, f.location, f.success_indicator, rupiah(f.cost_estimate),
                 funding_label(f.funding_source), f.owner, format_waktu(f.due_at, tz),
                 status_label(f.status, f.is_overdue)]
        data.append([kegiatan if n == 1 else _text(cell, _CELL) for n, cell in enumerate(cells)])
    table = Table(data, colWidths=[w * cm for _, w in MATRIX_COLUMNS], repeatRows=1, splitInRow=1)
    table.setStyle(_TABLE_STYLE)
    table.setStyle(TableStyle([("ALIGN", (6, 1), (6, -1), "RIGHT")]))
    return table


def _signatures(content: MinutesContent) -> KeepTogether:
    """Where the meeting's place and day are written, and a name line for each who signs: the
    kepala puskesmas and, for a cross-sector minilok, the camat (mengetahui)."""
    day = content.scheduled_at.astimezone(ZoneInfo(content.timezone)).date()
    blank = "(................................................)"
    head = [f"{content.kota}, {format_tanggal(day).split(', ', 1)[-1]}", f"Kepala {content.puskesmas}",
            None, f"({content.head_name})" if content.head_name else blank]
    columns = [head]
    if content.camat_signs:
        where = content.camat.removeprefix("Kecamatan ").strip() if content.camat else ""
        columns.insert(0, ["Mengetahui,", f"Camat {where}".strip(), None, blank])
    cells = [[_text(line, _SIGN) if line else Spacer(1, 1.8 * cm) for line in column] for column in columns]
    rows = [[c[n] for c in cells] for n in range(4)]
    # One signer stands on the right, as a letter is signed; two share the width, camat on the left.
    table = Table(rows, colWidths=[8 * cm if len(columns) == 1 else 12 * cm] * len(columns),
                  hAlign="RIGHT" if len(columns) == 1 else "CENTER",
                  style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    return KeepTogether([Spacer(1, 0.6 * cm), table])


_THUMB_WIDTH, _THUMB_HEIGHT, _PER_ROW = 3.1 * cm, 2.3 * cm, 5
_EVIDENCE_STYLE = TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2)])


def _evidence_cell(item: EvidenceItem):
    """The thumbnail, fitted into its box; a PDF (or a file the store lost) by its name."""
    if item.thumbnail is None:
        kind = "PDF" if item.content_type == "application/pdf" else "berkas tidak tersedia"
        return _text(f"[{kind}]\n{item.label}", _CELL)
    picture = Image(BytesIO(item.thumbnail))
    scale = min(_THUMB_WIDTH / picture.imageWidth, _THUMB_HEIGHT / picture.imageHeight)
    picture.drawWidth, picture.drawHeight = picture.imageWidth * scale, picture.imageHeight * scale
    return picture


def _evidence_block(number: int, title: str, items: list[EvidenceItem], more: int) -> KeepTogether:
    cells = [_evidence_cell(item) for item in items]
    rows = [cells[i:i + _PER_ROW] for i in range(0, len(cells), _PER_ROW)]
    rows[-1] += [""] * (_PER_ROW - len(rows[-1]))
    caption = f"{number}. {title}" + (f" (dan {more} bukti lain)" if more else "")
    grid = Table(rows, colWidths=[_THUMB_WIDTH + 0.3 * cm] * _PER_ROW, rowHeights=_THUMB_HEIGHT + 0.3 * cm,
                 hAlign="LEFT", style=_EVIDENCE_STYLE)
    return KeepTogether([*_text(caption, _CELL), grid, Spacer(1, 0.2 * cm)])


def _footer(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7.5)
    canvas.setFillColor(colors.grey)
    canvas.drawRightString(canvas._pagesize[0] - _MARGIN, 1 * cm, f"Halaman {document.page}")
    canvas.restoreState()
