"""The notulen of a meeting as documents: minutes as PDF (ReportLab), follow-ups as XLSX (openpyxl).

Rendering is pure: the service layer loads a `MinutesContent` (a few queries) and hands it over;
`download` answers a rendered `Document` as an attachment (the API and the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Document:
    """A rendered file and the name it is downloaded under."""

    content: bytes
    media_type: str
    filename: str


def download(document: Document) -> Response:
    """A document as an attachment (the filename is ASCII, so the header needs no encoding)."""
    return Response(document.content, media_type=document.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{document.filename}"'})
