"""The notulen as a PDF (ReportLab), headings in Bahasa Indonesia."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image,
    KeepTogether,
    ListFlowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from minilok_meetings.documents.content import EvidenceItem, MinutesContent, status_label
from minilok_meetings.documents.dates import format_waktu

TITLE = "Notulen Lokakarya Mini"
_STYLES = getSampleStyleSheet()
_TITLE = ParagraphStyle("title", parent=_STYLES["Title"], fontSize=16, spaceAfter=4)
_SUBTITLE = ParagraphStyle("subtitle", parent=_STYLES["Normal"], alignment=TA_CENTER, fontSize=10)
_HEADING = ParagraphStyle("heading", parent=_STYLES["Heading2"], fontSize=12, spaceBefore=10, spaceAfter=4)
_BODY = ParagraphStyle("body", parent=_STYLES["Normal"], fontSize=9.5, leading=12)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8.5, leading=10.5)
_HEAD_CELL = ParagraphStyle("head-cell", parent=_CELL, fontName="Helvetica-Bold")
_LINES_PER_PARAGRAPH = 20
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

    story.append(Paragraph("Rencana Tindak Lanjut", _HEADING))
    if content.followups:
        story.append(_table(
            ["No", "Judul", "Penanggung Jawab", "Batas Waktu", "Status"],
            [[i, f.title, f.owner, format_waktu(f.due_at, tz), status_label(f.status, f.is_overdue)]
             for i, f in enumerate(content.followups, 1)],
            [1, 6, 4, 3.5, 2.5],
        ))
    else:
        story.extend(_text("Belum ada rencana tindak lanjut."))
    with_evidence = [(i, f) for i, f in enumerate(content.followups, 1) if f.evidence]
    if with_evidence:
        story.append(Paragraph("Bukti Tindak Lanjut", _HEADING))
        for number, followup in with_evidence:
            story.append(_evidence_block(number, followup.title, followup.evidence, followup.more_evidence))

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm, bottomMargin=1.8 * cm,
        title=f"{TITLE}: {content.title}", author=content.puskesmas, subject=content.kind_label,
    )
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


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
    canvas.drawRightString(A4[0] - 2 * cm, 1 * cm, f"Halaman {document.page}")
    canvas.restoreState()
